/**
 * The local cluster's own components (node agents, provisioner) talk to the API server through
 * @kubernetes/client-node's authentication, TLS and watch, but keep objects in their wire form
 * (string timestamps, plain JSON), as the API sends them: status patches and events are built
 * from wire objects, and typed model classes would only be converted back.
 */
import { HttpMethod, IsomorphicFetchHttpLibrary, KubeConfig, RequestContext, Watch } from '@kubernetes/client-node';

export class ApiError extends Error {
  readonly code: number;
  readonly reason: string | undefined;
  constructor(code: number, message: string, reason?: string) {
    super(message);
    this.code = code;
    this.reason = reason;
  }
}

type Query = Record<string, string | number | boolean | undefined>;

export class Api {
  readonly kc: KubeConfig;
  private readonly http = new IsomorphicFetchHttpLibrary();
  private readonly server: string;

  constructor(kubeconfigPath: string) {
    this.kc = new KubeConfig();
    this.kc.loadFromFile(kubeconfigPath);
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error(`${kubeconfigPath} has no current cluster`);
    this.server = cluster.server;
  }

  async request(method: keyof typeof HttpMethod, path: string, o: { body?: unknown; contentType?: string; query?: Query; timeoutMs?: number; raw?: boolean } = {}): Promise<any> {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(o.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const ctx = new RequestContext(url.toString(), HttpMethod[method]);
    ctx.setHeaderParam('Accept', o.raw ? '*/*' : 'application/json');
    if (o.body !== undefined) {
      ctx.setHeaderParam('Content-Type', o.contentType ?? 'application/json');
      ctx.setBody(JSON.stringify(o.body));
    }
    ctx.setSignal(AbortSignal.timeout(o.timeoutMs ?? 30_000));
    await this.kc.applySecurityAuthentication(ctx);
    const res = await this.http.send(ctx).toPromise();
    const text = await res.body.text();
    if (res.httpStatusCode >= 300) {
      let message = text;
      let reason: string | undefined;
      try {
        const s = JSON.parse(text);
        message = s.message ?? text;
        reason = s.reason;
      } catch {
        // Not a Status: keep the text.
      }
      throw new ApiError(res.httpStatusCode, `${method} ${path}: ${res.httpStatusCode} ${message}`, reason);
    }
    if (o.raw) return text;
    return text ? JSON.parse(text) : undefined;
  }

  get(path: string, query?: Query): Promise<any> {
    return this.request('GET', path, { query });
  }

  /** GET, or undefined on 404. */
  async find(path: string): Promise<any> {
    try {
      return await this.get(path);
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return undefined;
      throw e;
    }
  }

  post(path: string, body: unknown): Promise<any> {
    return this.request('POST', path, { body });
  }

  put(path: string, body: unknown): Promise<any> {
    return this.request('PUT', path, { body });
  }

  /** Strategic merge patch: lists with merge keys (conditions, podIPs) merge by key. */
  patch(path: string, body: unknown, type: 'strategic' | 'merge' = 'strategic'): Promise<any> {
    return this.request('PATCH', path, { body, contentType: type === 'strategic' ? 'application/strategic-merge-patch+json' : 'application/merge-patch+json' });
  }

  delete(path: string, body?: unknown): Promise<any> {
    return this.request('DELETE', path, { body });
  }

  watch(path: string, query: Query, onEvent: (type: string, obj: any) => void, onDone: (err: unknown) => void): Promise<AbortController> {
    return new Watch(this.kc).watch(path, query, onEvent, onDone);
  }
}

export interface Watcher {
  stop(): void;
}

export interface WatchHandlers {
  /** The full list, after every (re)list: replaces what the caller knew. */
  onList(items: any[]): void;
  onEvent(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: any): void;
  onError?(err: unknown): void;
}

/**
 * List, then watch from the list's resourceVersion; on 410 Gone re-list, on a dropped or timed-out
 * watch resume from the last version seen, on errors retry with backoff (up to 5 s).
 */
export function listWatch(api: Api, path: string, query: Query, h: WatchHandlers): Watcher {
  let stopped = false;
  let rv: string | undefined;
  let current: AbortController | undefined;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  const retry = (relist: boolean) => {
    if (stopped) return;
    const delay = failures === 0 ? 0 : Math.min(100 * 2 ** failures, 5000);
    failures++;
    timer = setTimeout(() => void (relist ? list() : watch()), delay);
  };
  const list = async () => {
    try {
      const r = await api.get(path, query);
      rv = r.metadata?.resourceVersion;
      if (stopped) return;
      h.onList(r.items ?? []);
      failures = 0;
      await watch();
    } catch (e) {
      h.onError?.(e);
      retry(true);
    }
  };
  const watch = async () => {
    if (stopped) return;
    let gone = false;
    try {
      current = await api.watch(path, { ...query, resourceVersion: rv, allowWatchBookmarks: true }, (type, obj) => {
        if (type === 'ERROR') {
          if (obj?.code === 410) gone = true;
          return;
        }
        failures = 0;
        if (obj?.metadata?.resourceVersion) rv = obj.metadata.resourceVersion;
        if (type === 'BOOKMARK') return;
        h.onEvent(type as 'ADDED', obj);
      }, (err) => {
        if (stopped) return;
        if (err && !gone) h.onError?.(err);
        retry(gone || !rv);
      });
    } catch (e) {
      h.onError?.(e);
      retry(false);
    }
  };
  void list();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      current?.abort();
    },
  };
}
