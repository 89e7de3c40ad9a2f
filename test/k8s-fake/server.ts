/** The HTTP front: authentication, routing of the real API paths to verbs, Status errors, request log. */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Ctx } from './context.ts';
import type { RequestRecord } from './types.ts';
import { resourceByPlural } from './resources.ts';
import type { Target } from './api.ts';
import * as api from './api.ts';
import { serveWatch } from './watch.ts';
import type { OpenWatch } from './watch.ts';
import { serveLog } from './podlog.ts';
import { discovery, versionInfo } from './discovery.ts';
import { toTable, wantsTable } from './table.ts';
import type { FakeObject } from './types.ts';
import { badRequest, failure, methodNotAllowed, pathNotFound, StatusError, unauthorized } from './status.ts';

const PUBLIC = new Set(['/version', '/healthz', '/livez', '/readyz']);

function parseTarget(segs: string[]): Target | 'discovery' | undefined {
  let group = '';
  let version: string;
  let rest: string[];
  if (segs[0] === 'api' && segs[1] === 'v1') {
    version = 'v1';
    rest = segs.slice(2);
  } else if (segs[0] === 'apis' && segs.length >= 3) {
    group = segs[1];
    version = segs[2];
    rest = segs.slice(3);
  } else return undefined;
  if (rest.length === 0) return 'discovery';
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const r = resourceByPlural(group, version, rest[2]);
    if (r?.namespaced) return { r, namespace: rest[1], name: rest[3], subresource: rest[4] };
  }
  const r = resourceByPlural(group, version, rest[0]);
  if (!r || rest.length > 3) return undefined;
  return { r, name: rest[1], subresource: rest[2] };
}

function verbOf(method: string, t: Target, q: URLSearchParams): string {
  switch (method) {
    case 'GET': return t.name ? 'get' : q.get('watch') === 'true' || q.get('watch') === '1' ? 'watch' : 'list';
    case 'POST': return 'create';
    case 'PUT': return 'update';
    case 'PATCH': return 'patch';
    case 'DELETE': return t.name ? 'delete' : 'deletecollection';
    default: return method.toLowerCase();
  }
}

async function readBody(req: IncomingMessage): Promise<any> {
  const type = req.headers['content-type'] ?? '';
  if (/protobuf|cbor|yaml/.test(type)) {
    throw new StatusError(failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`));
  }
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(e as Error).message}`);
  }
}

function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export interface FakeServer {
  server: Server;
  watches: Set<OpenWatch>;
}

export function startServer(ctx: Ctx, token: string, requests: RequestRecord[], onRequest: () => void = () => {}): FakeServer {
  const watches = new Set<OpenWatch>();
  ctx.faults.onAdd(() => {
    for (const w of [...watches]) w.checkFaults();
  });

  async function handle(req: IncomingMessage, res: ServerResponse, record: RequestRecord): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const q = url.searchParams;
    if (path === '/version') return sendJson(res, 200, versionInfo(ctx.opts.serverVersion));
    if (PUBLIC.has(path)) {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      return void res.end('ok');
    }
    // kubectl sends no token over plain http, so a missing one is the kubeconfig's user (like the
    // old insecure port); a wrong one is 401.
    const auth = req.headers.authorization;
    if (auth !== undefined && auth !== `Bearer ${token}`) throw unauthorized();
    const segs = path.split('/').filter(Boolean).map(decodeURIComponent);
    if (path === '/api' || path === '/apis') return sendJson(res, 200, discovery(path));
    const t = parseTarget(segs);
    if (t === 'discovery') {
      const d = discovery(path);
      if (!d) throw pathNotFound();
      return sendJson(res, 200, d);
    }
    if (!t) throw pathNotFound();
    const method = req.method ?? 'GET';
    const verb = verbOf(method, t, q);
    if (!t.r.verbs.includes(verb) || (method === 'POST' && t.name)) throw methodNotAllowed();
    if (t.subresource && !['status', 'log'].includes(t.subresource)) throw pathNotFound();
    if (t.subresource === 'log' && (t.r.plural !== 'pods' || verb !== 'get')) throw pathNotFound();
    if (t.r.namespaced && !t.namespace && !['list', 'watch'].includes(verb)) throw pathNotFound();
    const denied = ctx.faults.forRequest(t.r, verb, ctx.user, t.namespace, t.name, t.subresource);
    if (denied) throw denied;
    const body = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method) ? await readBody(req) : undefined;
    const table = wantsTable(req.headers.accept);

    if (t.r.createOnly) return sendJson(res, record.status = 201, api.review(ctx, body));
    switch (verb) {
      case 'watch':
        record.status = 200;
        return serveWatch(ctx, t, q, req, res, watches);
      case 'list': {
        const l = api.list(ctx, t, q) as { items: FakeObject[]; metadata: { resourceVersion: string } };
        return sendJson(res, 200, table ? toTable(t.r, l.items, l.metadata.resourceVersion) : l);
      }
      case 'get':
        if (t.subresource === 'log') {
          record.status = 200;
          return serveLog(ctx, t.namespace!, t.name!, q, res);
        }
        return sendJson(res, 200, table ? toTable(t.r, [api.get(ctx, t)], ctx.store.currentRv()) : api.get(ctx, t));
      case 'create': return sendJson(res, record.status = 201, api.create(ctx, t, body, q));
      case 'update': return sendJson(res, 200, api.update(ctx, t, body));
      case 'patch': return sendJson(res, 200, api.patch(ctx, t, body, req.headers['content-type'] ?? 'application/json-patch+json'));
      case 'delete': return sendJson(res, 200, api.remove(ctx, t, q, body));
      case 'deletecollection': return sendJson(res, 200, api.removeCollection(ctx, t, q, body));
    }
    throw methodNotAllowed();
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const record: RequestRecord = { method: req.method ?? 'GET', path: url.pathname, query: url.search.replace(/^\?/, ''), status: 200 };
    requests.push(record);
    // After the handler has run (and set the status), so waitFor sees the finished record.
    setImmediate(onRequest);
    handle(req, res, record).catch((e: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (e instanceof StatusError) {
        record.status = e.status.code;
        return sendJson(res, e.status.code, e.status, e.headers);
      }
      record.status = 500;
      const message = e instanceof Error ? e.stack ?? e.message : String(e);
      sendJson(res, 500, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `k8s-fake internal error: ${message}`, reason: 'InternalError', code: 500 });
    });
  });
  return { server, watches };
}

