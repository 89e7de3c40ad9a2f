/** Helpers for tests that drive the double through the real @kubernetes/client-node. */
import { ApiException, AuthorizationV1Api, BatchV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { V1Job, V1PodFailurePolicy } from '@kubernetes/client-node';
import { startFakeCluster } from './index.ts';
import type { FakeCluster, FakeClusterOptions, FakeObject } from './types.ts';

export interface Clients {
  kc: KubeConfig;
  core: CoreV1Api;
  batch: BatchV1Api;
  authz: AuthorizationV1Api;
}

export function clientsFor(cluster: FakeCluster): Clients {
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  return { kc, core: kc.makeApiClient(CoreV1Api), batch: kc.makeApiClient(BatchV1Api), authz: kc.makeApiClient(AuthorizationV1Api) };
}

/** Starts a cluster, runs fn, always closes it. */
export async function withCluster(options: FakeClusterOptions, fn: (cluster: FakeCluster, c: Clients) => Promise<void>): Promise<void> {
  const cluster = await startFakeCluster(options);
  try {
    await fn(cluster, clientsFor(cluster));
  } finally {
    await cluster.close();
  }
}

/** Runs a call expected to fail; returns the HTTP code and the parsed Status body. */
export async function statusOf(call: Promise<unknown>): Promise<{ code: number; body: any }> {
  try {
    await call;
  } catch (e) {
    if (!(e instanceof ApiException)) throw e;
    const body = typeof e.body === 'string' && e.body.startsWith('{') ? JSON.parse(e.body) : e.body;
    return { code: e.code, body };
  }
  throw new Error('expected the call to fail with an ApiException');
}

export interface JobOptions {
  completions?: number;
  parallelism?: number;
  /** Container command; default prints one JSON line with the index. */
  command?: string[];
  image?: string;
  backoffLimit?: number;
  backoffLimitPerIndex?: number;
  podFailurePolicy?: V1PodFailurePolicy;
  activeDeadlineSeconds?: number;
  ttlSecondsAfterFinished?: number;
  env?: Array<Record<string, unknown>>;
  memory?: string;
}

/** An Indexed Job as caplab builds them (restartPolicy Never, requests = limits). */
export function indexedJob(name: string, o: JobOptions = {}): V1Job {
  const command = o.command ?? ['node', '-e', 'console.log(JSON.stringify({ index: Number(process.env.JOB_COMPLETION_INDEX) }))'];
  const resources = { requests: { cpu: '100m', memory: o.memory ?? '64Mi' }, limits: { cpu: '100m', memory: o.memory ?? '64Mi' } };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels: { 'app.kubernetes.io/name': 'caplab' } },
    spec: {
      completionMode: 'Indexed',
      completions: o.completions ?? 3,
      parallelism: o.parallelism ?? 3,
      backoffLimit: o.backoffLimit,
      backoffLimitPerIndex: o.backoffLimitPerIndex,
      podFailurePolicy: o.podFailurePolicy,
      activeDeadlineSeconds: o.activeDeadlineSeconds,
      ttlSecondsAfterFinished: o.ttlSecondsAfterFinished,
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': 'caplab' } },
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'main', image: o.image ?? 'node:24', command, env: o.env as any, resources }],
        },
      },
    },
  };
}

export function condition(job: FakeObject | undefined, type: string): any {
  return (job?.status?.conditions ?? []).find((c: any) => c.type === type && c.status === 'True');
}

/** The Job once it has a terminal condition (Complete or Failed). */
export function finishedJob(cluster: FakeCluster, name: string, timeoutMs = 15_000): Promise<FakeObject> {
  return cluster.waitFor((s) => {
    const j = s.get('jobs', name, cluster.namespace);
    return j && (condition(j, 'Complete') || condition(j, 'Failed')) ? j : undefined;
  }, timeoutMs, `job ${name} to finish`);
}

export function podsOf(cluster: FakeCluster, job: string): FakeObject[] {
  return cluster.state.pods.filter((p) => p.metadata.labels?.['batch.kubernetes.io/job-name'] === job);
}

/**
 * What a client saw (watch events, informer callbacks), with a wait driven by its own pushes:
 * the double's waitFor only wakes on server-side changes, which may all precede the client's.
 */
export class Seen<T> {
  readonly items: T[] = [];
  private readonly waiters = new Set<() => void>();

  push(item: T): void {
    this.items.push(item);
    for (const w of [...this.waiters]) w();
  }

  includes(item: T): boolean {
    return this.items.includes(item);
  }

  until(predicate: (items: T[]) => boolean, timeoutMs = 5000, what = 'client-side condition'): Promise<void> {
    return new Promise((ok, fail) => {
      const check = () => {
        if (!predicate(this.items)) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        ok();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        fail(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; saw ${JSON.stringify(this.items)}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}
