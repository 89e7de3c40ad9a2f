/**
 * Tests on the real local control plane (k8s/local): one control plane per machine, started by
 * the first test process that needs it (or `npm run cluster:local -- up` beforehand, which the
 * tests then reuse and never stop), and a fresh namespace per `startLocalCluster` with caplab's
 * Role bound to `caplab-user` and the worker ServiceAccount, as `kubectl apply -k k8s/` makes in
 * `caplab`. `waitFor` re-checks a predicate on every watch event of the namespace: no polling.
 *
 * @example
 * const cluster = await startLocalCluster();
 * await batch.createNamespacedJob({ namespace: cluster.namespace, body });
 * const job = await cluster.waitFor((s) => s.get('jobs', 'x')?.status?.succeeded === 3 && s.get('jobs', 'x'));
 * await cluster.close();
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { AuthorizationV1Api, BatchV1Api, CoreV1Api, KubeConfig, loadAllYaml } from '@kubernetes/client-node';
import { builtBin } from '../../k8s/local/build.ts';
import { up } from '../../k8s/local/up.ts';
import { down } from '../../k8s/local/down.ts';
import { isRunning, readState, runtimeDir, type ClusterState } from '../../k8s/local/state.ts';
import { alive } from '../../k8s/local/proc.ts';
import { Api, ApiError, listWatch, type Watcher } from '../../k8s/local/api.ts';
import type { WireObject } from '../../k8s/local/node/wire.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** Resources the observed state follows in the test namespace. */
const WATCHED = {
  pods: '/api/v1/namespaces/NS/pods',
  jobs: '/apis/batch/v1/namespaces/NS/jobs',
  events: '/api/v1/namespaces/NS/events',
  configmaps: '/api/v1/namespaces/NS/configmaps',
  services: '/api/v1/namespaces/NS/services',
  persistentvolumeclaims: '/api/v1/namespaces/NS/persistentvolumeclaims',
  endpointslices: '/apis/discovery.k8s.io/v1/namespaces/NS/endpointslices',
} as const;
export type Watched = keyof typeof WATCHED;

export interface Observed {
  list(resource: Watched): WireObject[];
  /** The namespace argument is ignored: the state follows one namespace. */
  get(resource: Watched, name: string, namespace?: string): WireObject | undefined;
  readonly jobs: WireObject[];
  readonly pods: WireObject[];
  readonly events: WireObject[];
}

export interface LocalCluster {
  /** Admin (current context) and caplab-user contexts, both defaulting to `namespace`. */
  kubeconfigPath: string;
  /** Only the caplab-user context: what a least-privileged user has. */
  userKubeconfigPath: string;
  contextName: string;
  userContextName: string;
  namespace: string;
  server: string;
  /** The folder with kubectl and the servers. */
  bin: string;
  cluster: ClusterState;
  /** Admin client (wire-form objects). */
  api: Api;
  state: Observed;
  waitFor<T>(predicate: (s: Observed) => T | undefined | null | false, timeoutMs?: number, what?: string): Promise<T>;
  /** A container's log through the API server (pods/log → the node's log endpoint). */
  log(pod: string, container?: string): Promise<string>;
  /** Follows a container's log (follow=true) until it contains `text`; resolves with what came. */
  follow(pod: string, text: string, container?: string, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

export interface LocalClusterOptions {
  /** Namespace to create. Default `caplab-t-<random>`. */
  namespace?: string;
  /** Pod Security level the namespace enforces. Default none (privileged). */
  podSecurity?: 'restricted' | 'baseline';
  /** Nodes when this call has to start the control plane. Default 3. */
  nodes?: number;
  /** Create the caplab-worker ServiceAccount, as k8s/ does. Default true. */
  workerServiceAccount?: boolean;
  /** Edits the caplab-user Role's rules before it is created (to take a permission away). Default: as in k8s/rbac.yaml. */
  roleRules?: (rules: any[]) => any[];
}

export interface Clients {
  kc: KubeConfig;
  core: CoreV1Api;
  batch: BatchV1Api;
  authz: AuthorizationV1Api;
}

/** Typed clients for a kubeconfig (the admin one unless told). */
export function clientsFor(cluster: LocalCluster, kubeconfig = cluster.kubeconfigPath): Clients {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return { kc, core: kc.makeApiClient(CoreV1Api), batch: kc.makeApiClient(BatchV1Api), authz: kc.makeApiClient(AuthorizationV1Api) };
}

export function condition(job: WireObject | undefined, type: string): any {
  return (job?.status?.conditions ?? []).find((c: any) => c.type === type && c.status === 'True');
}

/** The Job once it has a terminal condition (Complete or Failed). */
export function finishedJob(cluster: LocalCluster, name: string, timeoutMs = 60_000): Promise<WireObject> {
  return cluster.waitFor((s) => {
    const j = s.get('jobs', name);
    return j && (condition(j, 'Complete') || condition(j, 'Failed')) ? j : undefined;
  }, timeoutMs, `job ${name} to finish`);
}

/** Why local-cluster tests cannot run here, or undefined when they can. */
export function localClusterUnavailable(): string | undefined {
  try {
    return builtBin() ? undefined : 'the control plane binaries are not built (npm run cluster:build)';
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * The checkout whose `caplab worker` the nodes run for the caplab image, when it is not this one
 * (the shared control plane was started from another worktree): a test of worker behaviour this
 * checkout adds cannot pass there, and says so instead of failing.
 */
export function otherWorkerCheckout(cluster: LocalCluster): string | undefined {
  const node = cluster.cluster.nodes[0];
  if (!node) return undefined;
  const root: string = JSON.parse(readFileSync(join(cluster.cluster.dir, 'nodes', node.name, 'config.json'), 'utf8')).repoRoot;
  return realpathSync(root) === realpathSync(ROOT) ? undefined : root;
}

let users = 0;

function usersDir(s: ClusterState): string {
  return join(s.dir, 'users');
}

async function acquire(nodes: number): Promise<ClusterState> {
  let s = readState();
  if (!isRunning(s)) s = (await up({ nodes, owner: 'test', log: () => {} })).state;
  mkdirSync(usersDir(s), { recursive: true });
  writeFileSync(join(usersDir(s), String(process.pid)), '');
  users++;
  return s;
}

/** The last test process out stops a control plane that a test started. */
async function release(s: ClusterState): Promise<void> {
  if (--users > 0) return;
  rmSync(join(usersDir(s), String(process.pid)), { force: true });
  if (s.owner !== 'test' || process.env.CAPLAB_LOCAL_KEEP) return;
  let others: string[] = [];
  try {
    others = readdirSync(usersDir(s)).filter((p) => alive(Number(p)));
  } catch {
    return;
  }
  if (others.length === 0 && readState()?.startedAt === s.startedAt) await down();
}

function objectsOf(file: string, namespace: string, kinds: string[]): any[] {
  return loadAllYaml(readFileSync(join(ROOT, 'k8s', file), 'utf8'))
    .filter((o: any) => kinds.includes(o.kind))
    .map((o: any) => ({ ...o, metadata: { ...o.metadata, namespace } }));
}

async function createNamespace(api: Api, ns: string, o: LocalClusterOptions): Promise<void> {
  const { podSecurity, workerServiceAccount = true } = o;
  const labels: Record<string, string> = { 'app.kubernetes.io/part-of': 'caplab-tests' };
  if (podSecurity) labels['pod-security.kubernetes.io/enforce'] = podSecurity;
  await api.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels } });
  const options = o;
  for (const o of [...objectsOf('rbac.yaml', ns, ['Role', 'RoleBinding']), ...(workerServiceAccount ? objectsOf('service-account.yaml', ns, ['ServiceAccount']) : [])]) {
    if (o.kind === 'Role' && options.roleRules) o.rules = options.roleRules(o.rules);
    const path = o.kind === 'ServiceAccount' ? `/api/v1/namespaces/${ns}/serviceaccounts` : `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/${o.kind === 'Role' ? 'roles' : 'rolebindings'}`;
    await api.post(path, o);
  }
}

function kubeconfigFor(s: ClusterState, ns: string, contexts: string[], dir: string, name: string): string {
  const kc = JSON.parse(readFileSync(s.kubeconfig, 'utf8'));
  kc.contexts = kc.contexts.filter((c: any) => contexts.includes(c.name)).map((c: any) => ({ ...c, context: { ...c.context, namespace: ns } }));
  kc.users = kc.users.filter((u: any) => contexts.includes(u.name));
  kc['current-context'] = contexts[0];
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(kc, null, 2), { mode: 0o600 });
  return path;
}

export async function startLocalCluster(options: LocalClusterOptions = {}): Promise<LocalCluster> {
  const why = localClusterUnavailable();
  if (why) throw new Error(`no local control plane: ${why}`);
  const s = await acquire(options.nodes ?? 3);
  const namespace = options.namespace ?? `caplab-t-${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'caplab-local-test-'));
  const [admin, user] = s.contexts as [string, string];
  const kubeconfigPath = kubeconfigFor(s, namespace, [admin, user], dir, 'kubeconfig');
  const userKubeconfigPath = kubeconfigFor(s, namespace, [user], dir, 'kubeconfig-user');
  const api = new Api(kubeconfigPath);
  await createNamespace(api, namespace, options);
  const cache = new Map<Watched, Map<string, WireObject>>();
  const waiters = new Set<() => void>();
  const wake = () => { for (const w of [...waiters]) w(); };
  const watchers: Watcher[] = [];
  const synced: Array<Promise<void>> = [];
  for (const [resource, path] of Object.entries(WATCHED) as Array<[Watched, string]>) {
    const m = new Map<string, WireObject>();
    cache.set(resource, m);
    let first: () => void;
    synced.push(new Promise((r) => (first = r)));
    watchers.push(listWatch(api, path.replace('NS', namespace), {}, {
      onList(items) {
        m.clear();
        for (const o of items) m.set(o.metadata.name, o);
        first();
        wake();
      },
      onEvent(type, o) {
        if (type === 'DELETED') m.delete(o.metadata.name);
        else m.set(o.metadata.name, o);
        wake();
      },
    }));
  }
  await Promise.all(synced);
  const state: Observed = {
    list: (r) => [...cache.get(r)!.values()],
    get: (r, name) => cache.get(r)!.get(name),
    get jobs() { return state.list('jobs'); },
    get pods() { return state.list('pods'); },
    get events() { return state.list('events'); },
  };
  let closed = false;
  return {
    kubeconfigPath, userKubeconfigPath, contextName: admin, userContextName: user, namespace, server: s.server, bin: s.bin, cluster: s, api, state,
    waitFor(predicate, timeoutMs = 30_000, what = 'a condition on the cluster') {
      return new Promise((ok, fail) => {
        const check = () => {
          let v;
          try {
            v = predicate(state);
          } catch (e) {
            done();
            return fail(e);
          }
          if (v === undefined || v === null || v === false) return;
          done();
          ok(v as never);
        };
        const timer = setTimeout(() => {
          done();
          const pods = state.pods.map((p) => `${p.metadata.name}: ${p.status?.phase} ${JSON.stringify(p.status?.containerStatuses?.map((c: any) => c.state))}`);
          fail(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; pods: ${pods.join('; ') || 'none'}`));
        }, timeoutMs);
        const done = () => { clearTimeout(timer); waiters.delete(check); };
        waiters.add(check);
        check();
      });
    },
    async log(pod, container) {
      const q = container ? `?container=${encodeURIComponent(container)}` : '';
      const r = await api.request('GET', `/api/v1/namespaces/${namespace}/pods/${pod}/log${q}`, { raw: true });
      return r as string;
    },
    follow(pod, text, container, timeoutMs = 30_000) {
      const kc = JSON.parse(readFileSync(kubeconfigPath, 'utf8'));
      const token = kc.users.find((u: any) => u.name === admin).user.token;
      const ca = readFileSync(kc.clusters[0].cluster['certificate-authority']);
      const q = new URLSearchParams({ follow: 'true', ...(container ? { container } : {}) });
      return new Promise((ok, fail) => {
        let got = '';
        const req = httpsRequest(new URL(`/api/v1/namespaces/${namespace}/pods/${pod}/log?${q}`, s.server), { ca, headers: { Authorization: `Bearer ${token}` } }, (res) => {
          if (res.statusCode !== 200) return void fail(new Error(`pods/log of ${pod}: HTTP ${res.statusCode}`));
          res.setEncoding('utf8').on('data', (d: string) => {
            got += d;
            if (!got.includes(text)) return;
            clearTimeout(timer);
            req.destroy();
            ok(got);
          });
          res.on('end', () => fail(new Error(`the log of ${pod} ended without "${text}": ${got}`)));
        });
        const timer = setTimeout(() => (req.destroy(), fail(new Error(`no "${text}" in the log of ${pod} within ${timeoutMs} ms: ${got}`))), timeoutMs);
        req.on('error', (e) => (clearTimeout(timer), fail(e)));
        req.end();
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const w of watchers) w.stop();
      try {
        await api.delete(`/api/v1/namespaces/${namespace}`, { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' });
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
      }
      rmSync(dir, { recursive: true, force: true });
      await release(s);
    },
  };
}
