/**
 * test/k8s-fake: a local Kubernetes API double for CI, served over HTTP to the real
 * @kubernetes/client-node. See README.md for what is faithful and what is simplified.
 *
 * @example
 * const cluster = await startFakeCluster({ mode: 'simulated' });
 * const kc = new KubeConfig(); kc.loadFromFile(cluster.kubeconfigPath);
 * … kc.makeApiClient(BatchV1Api).createNamespacedJob({ namespace: cluster.namespace, body }) …
 * await cluster.waitFor((s) => s.jobs.find((j) => j.status?.completionTime));
 * await cluster.close();
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { Ctx, Resolved } from './context.ts';
import type { FakeCluster, FakeClusterOptions, FakeState, FaultSpec, RequestRecord } from './types.ts';
import { Store } from './store.ts';
import { Faults } from './faults.ts';
import { Logs } from '../../k8s/local/node/logs.ts';
import { Kubelet } from './kubelet.ts';
import { JobController } from './job-controller.ts';
import { deleteObject } from './gc.ts';
import { seed } from './seed.ts';
import { watchOutsideDeletes } from './outside.ts';
import { startServer } from './server.ts';
import { writeKubeconfig } from './kubeconfig.ts';

export type * from './types.ts';

const CONTEXT_NAME = 'caplab-fake';
const USER_NAME = 'caplab-fake-user';

function hostEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'NODE_OPTIONS']) if (process.env[k] !== undefined) env[k] = process.env[k]!;
  return env;
}

/** The folder holding bin/caplab.js above this file (also from a built copy under dist/). */
function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'bin', 'caplab.js')) && existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

const defaults = {
  nodes: [1, 2, 3].map((i) => ({ name: `fake-node-${i}`, cpu: '4', memory: '16Gi' })),
  namespace: 'caplab',
  createNamespace: true,
  mode: 'process' as const,
  repoRoot: findRepoRoot(),
  port: 0,
  stepDelayMs: 0,
  watchCacheSize: 2000,
  serverVersion: 'v1.33.1',
  requireServiceAccounts: false,
};

function stateView(ctx: Ctx): FakeState {
  const { store, logs } = ctx;
  return {
    get jobs() { return store.list('jobs'); },
    get pods() { return store.list('pods'); },
    get configMaps() { return store.list('configmaps'); },
    get services() { return store.list('services'); },
    get persistentVolumeClaims() { return store.list('persistentvolumeclaims'); },
    get namespaces() { return store.list('namespaces'); },
    get nodes() { return store.list('nodes'); },
    get events() { return store.list('events'); },
    get serviceAccounts() { return store.list('serviceaccounts'); },
    get roles() { return store.list('roles'); },
    get roleBindings() { return store.list('rolebindings'); },
    list: (resource, namespace) => store.list(resource, namespace),
    get: (resource, name, namespace) => store.get(resource, namespace, name),
    log(podName, container, namespace = ctx.opts.namespace) {
      const pod = store.get('pods', namespace, podName);
      if (!pod) return '';
      return logs.text(pod.metadata.uid, container ?? pod.spec.containers[0].name);
    },
  };
}

export async function startFakeCluster(options: FakeClusterOptions = {}): Promise<FakeCluster> {
  const opts: Resolved = { ...defaults, baseEnv: hostEnv(), ...stripUndefined(options) } as Resolved;
  const stateDir = mkdtempSync(join(tmpdir(), 'caplab-k8s-fake-'));
  const timers = new Set<NodeJS.Timeout>();
  const token = 'caplab-fake-token';
  const requests: RequestRecord[] = [];
  let kubelet: Kubelet;
  const ctx: Ctx = {
    store: new Store(opts.watchCacheSize),
    faults: new Faults(options.faults ?? []),
    logs: new Logs(),
    opts,
    user: USER_NAME,
    stateDir,
    closed: false,
    later(fn) {
      if (ctx.closed) return;
      const run = () => { if (!ctx.closed) fn(); };
      if (opts.stepDelayMs > 0) ctx.timer(run, opts.stepDelayMs);
      else setImmediate(run);
    },
    timer(fn, ms) {
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, ms);
      timers.add(t);
      return t;
    },
    deletePod: (ns, name, grace) => kubelet.deletePod(ns, name, grace),
    deleteObject: (resource, ns, name, policy, grace) => deleteObject(ctx, resource, ns, name, policy, grace),
  };
  kubelet = new Kubelet(ctx);
  new JobController(ctx);
  watchOutsideDeletes(ctx);
  seed(ctx);

  const changeListeners = new Set<() => void>();
  const closers = new Set<() => void>();
  const changed = () => { for (const l of [...changeListeners]) l(); };
  const { server, watches } = startServer(ctx, token, requests, changed);
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port, '127.0.0.1', () => ok());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfigPath = options.kubeconfigPath ?? join(stateDir, 'kubeconfig');
  writeKubeconfig(kubeconfigPath, { server: url, contextName: CONTEXT_NAME, namespace: opts.namespace, userName: USER_NAME, token });

  ctx.store.onChange(changed);
  ctx.logs.onChange = changed;
  const state = stateView(ctx);

  return {
    url,
    kubeconfigPath,
    contextName: CONTEXT_NAME,
    namespace: opts.namespace,
    token,
    userName: USER_NAME,
    state,
    requests,
    inject: (fault: FaultSpec) => ctx.faults.add(fault),
    clearFaults: () => ctx.faults.clear(),
    waitFor<T>(predicate: (s: FakeState) => T | undefined | null | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
      return new Promise<T>((ok, fail) => {
        const check = () => {
          let v: T | undefined | null | false;
          try {
            v = predicate(state);
          } catch (e) {
            done();
            return fail(e);
          }
          if (v) {
            done();
            ok(v);
          }
        };
        const timer = setTimeout(() => {
          done();
          fail(new Error(`k8s-fake: timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        const onClose = () => {
          done();
          fail(new Error(`k8s-fake: cluster closed while waiting for ${what}`));
        };
        const done = () => {
          clearTimeout(timer);
          changeListeners.delete(check);
          closers.delete(onClose);
        };
        changeListeners.add(check);
        closers.add(onClose);
        check();
      });
    },
    finishPod: (podName, outcome, namespace = opts.namespace) => kubelet.finishPod(namespace, podName, outcome),
    deleteJob: (name, policy = 'Background', namespace = opts.namespace) => void deleteObject(ctx, 'jobs', namespace, name, policy),
    compact: () => ctx.store.compact(),
    async close() {
      if (ctx.closed) return;
      ctx.closed = true;
      for (const t of timers) clearTimeout(t);
      for (const c of [...closers]) c();
      for (const w of [...watches]) w.close();
      await kubelet.stopAll();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
