/**
 * The kubernetes executor on the local control plane (k8s/local): faults the real system makes —
 * the kernel's OOM kill (of the worker, or of its child while the worker exits 0), a node without the image, the scheduler finding no room, RBAC refusing a
 * verb, the API server's 409 on a resubmit, admission refusing pods without their
 * ServiceAccount, podFailurePolicy on caplab's bad-config exit — and what caplab makes of them;
 * dropped and expired watches come from a small fault-injecting proxy in front of the API server;
 * preemption from a pod of a higher PriorityClass that fits only in place of a worker.
 * Each test gets a namespace of its own on the one control plane.
 */
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startLocalCluster, localClusterUnavailable, clientsFor, otherWorkerCheckout, type LocalCluster, type LocalClusterOptions } from './helpers/local-cluster.ts';
import { startFaultProxy, type WatchFault } from './helpers/fault-proxy.ts';
import { createKubernetesExecutor, isCaplabError, type Spec, type SpecResult } from '../lib/index.ts';
import type { KubernetesExecutorOptions } from '../lib/exec/kubernetes.ts';

const skip = localClusterUnavailable() ?? false;
let cluster: LocalCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const specs = (n: number, prefix = 't', payload: object = {}): Spec[] => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, kind: 'noop', payload }));

async function start(options: LocalClusterOptions = {}): Promise<LocalCluster> {
  cluster = await startLocalCluster(options);
  return cluster;
}

function executor(c: LocalCluster, options: KubernetesExecutorOptions = {}) {
  return createKubernetesExecutor({ kubeconfig: c.kubeconfigPath, experiment: 'faults', cpu: '100m', memory: '256Mi', unschedulableGraceMs: 50, ...options });
}

const byId = (rs: SpecResult[]) => Object.fromEntries(rs.map((r) => [r.id, r]));

test('every spec comes back ok with the pod, node and cluster in its provenance', { skip }, async () => {
  const c = await start();
  const events: string[] = [];
  const rs = await executor(c).run(specs(3), { onEvent: (e) => events.push(e.kind) });
  assert.deepEqual(rs.map((r) => [r.id, r.status]), [['t0', 'ok'], ['t1', 'ok'], ['t2', 'ok']]);
  for (const r of rs) {
    assert.equal(r.provenance.executor, 'kubernetes');
    assert.equal(r.provenance.cluster?.context, c.contextName);
    assert.match(r.provenance.cluster?.serverVersion ?? '', /^v1\.34\.\d+$/);
    assert.match(r.provenance.cluster?.node ?? '', /^caplab-local-node-\d+$/);
    assert.equal(r.provenance.cluster?.pod, r.worker);
    assert.equal(r.provenance.cluster?.memory, '256Mi');
  }
  assert.equal(events.filter((e) => e === 'started').length, 3);
  assert.equal(events.filter((e) => e === 'finished').length, 3);
});

test("a pod over its memory limit is OOM-killed by the kernel and its spec fails as 'oom', read from the reason", { skip }, async () => {
  const c = await start();
  const rs = byId(await executor(c, { memory: '128Mi' }).run([
    { id: 't0', kind: 'noop', payload: {} },
    { id: 't1', kind: 'noop', payload: { allocateMiB: 400 } },
  ]));
  assert.equal(rs.t0.status, 'ok');
  assert.deepEqual([rs.t1.status, rs.t1.failure], ['failed', 'oom'], rs.t1.reason);
  assert.match(rs.t1.reason!, /OOMKilled: pod memory limit 128Mi/);
});

test("a pod whose child is OOM-killed while the worker exits 0 is OOMKilled with exit 0 (phase Succeeded), and its spec still fails as 'oom'", { skip }, async (t) => {
  const c = await start();
  // The noop payload childAllocateMiB is new: the nodes must run this checkout's worker.
  const other = otherWorkerCheckout(c);
  if (other) return t.skip(`the running control plane's nodes run the worker of ${other}, not this checkout`);
  const rs = byId(await executor(c, { memory: '192Mi' }).run([
    { id: 't0', kind: 'noop', payload: {} },
    { id: 't1', kind: 'noop', payload: { childAllocateMiB: 400 } },
  ]));
  assert.equal(rs.t0.status, 'ok');
  assert.deepEqual([rs.t1.status, rs.t1.failure], ['failed', 'oom'], rs.t1.reason);
  assert.match(rs.t1.reason!, /OOMKilled: pod memory limit 192Mi/);
  // What the node reported: the kernel's OOM kill in the cgroup, the worker's own exit 0.
  const pod = c.state.pods.find((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'] === '1');
  assert.equal(pod?.status?.phase, 'Succeeded');
  assert.deepEqual(pick(pod?.status?.containerStatuses?.[0]?.state?.terminated), { reason: 'OOMKilled', exitCode: 0 });
});

const pick = (t: any) => t && { reason: t.reason, exitCode: t.exitCode };

test("ImagePullBackOff fails the specs fast with the kubelet's message and deletes the Job", { skip }, async () => {
  const c = await start();
  const rs = await executor(c, { image: 'nowhere.example/caplab:missing' }).run(specs(3));
  for (const r of rs) {
    assert.deepEqual([r.status, r.failure], ['failed', 'image-pull']);
    assert.match(r.reason!, /nowhere\.example\/caplab:missing/);
  }
  await c.waitFor((s) => s.jobs.length === 0, 30_000, 'the Job to be deleted');
});

test("Unschedulable pods (requests larger than any node) fail fast with the scheduler's message", { skip }, async () => {
  const c = await start();
  const rs = await executor(c, { memory: '64Gi' }).run(specs(2));
  for (const r of rs) {
    assert.deepEqual([r.status, r.failure], ['failed', 'unschedulable'], r.reason);
    assert.match(r.reason!, /Insufficient memory/);
    assert.match(r.reason!, /64Gi memory/);
  }
  await c.waitFor((s) => s.jobs.length === 0, 30_000, 'the Job to be deleted');
});

test('a 403 on create (a Role without it) is an error that names the permission and points at k8s/ RBAC', { skip }, async () => {
  const c = await start({ roleRules: (rules) => rules.map((r) => (r.resources.includes('jobs') ? { ...r, verbs: r.verbs.filter((v: string) => v !== 'create') } : r)) });
  await assert.rejects(executor(c, { kubeconfig: c.userKubeconfigPath }).run(specs(2)), (e: unknown) => {
    assert.ok(isCaplabError(e, 'forbidden'), String(e));
    assert.match((e as Error).message, new RegExp(`refused to let you create jobs in namespace ${c.namespace}`));
    assert.match((e as Error).message, /kubectl apply -k k8s\//);
    return true;
  });
});

test('as caplab-user, bound only by k8s/rbac.yaml, every spec runs', { skip }, async () => {
  const c = await start();
  const rs = await executor(c, { kubeconfig: c.userKubeconfigPath }).run(specs(2));
  assert.deepEqual(rs.map((r) => r.status), ['ok', 'ok'], rs.map((r) => r.reason).join('; '));
});

for (const fault of [
  { kind: 'watch-drop', resource: 'pods', afterEvents: 2, mode: 'reset', times: 2 },
  { kind: 'watch-drop', resource: 'jobs', afterEvents: 1, mode: 'end', times: 1 },
  { kind: 'watch-gone', resource: 'pods', when: 'next-watch', times: 1 },
] as const satisfies WatchFault[]) {
  test(`the watch recovers from ${fault.kind} (${'mode' in fault ? fault.mode : fault.when}) and every spec gets its result`, { skip }, async (t) => {
    const c = await start();
    const proxy = await startFaultProxy(c.kubeconfigPath, join(c.cluster.dir, 'pki'));
    t.after(() => proxy.close());
    proxy.inject({ ...fault });
    const rs = await executor(c, { kubeconfig: proxy.kubeconfigPath, watch: { backoffMs: 20, maxBackoffMs: 200 } }).run(specs(4));
    assert.deepEqual(rs.map((r) => r.status), ['ok', 'ok', 'ok', 'ok'], rs.map((r) => r.reason).join('; '));
    assert.deepEqual(proxy.pending(), [], 'the fault happened');
  });
}

test('the watch recovers when the API server ends it with 410 Gone (history compacted): re-list, every spec gets its result', { skip }, async (t) => {
  const c = await start();
  const proxy = await startFaultProxy(c.kubeconfigPath, join(c.cluster.dir, 'pki'));
  t.after(() => proxy.close());
  const run = executor(c, { kubeconfig: proxy.kubeconfigPath, watch: { backoffMs: 20, maxBackoffMs: 200 } }).run(specs(2, 't', { sleepMs: 1500 }));
  await c.waitFor((s) => s.pods.length === 2 && s.pods.every((p) => p.status?.phase === 'Running'), 60_000, 'pods running');
  assert.ok(proxy.inject({ kind: 'watch-gone', resource: 'pods', when: 'now', times: 1 }) >= 1, 'an open pod watch was ended with 410');
  const rs = await run;
  assert.deepEqual(rs.map((r) => r.status), ['ok', 'ok']);
});

test('a Job deleted from outside fails the remaining specs with a clear reason', { skip }, async () => {
  const c = await start();
  const held = { sleepMs: 120_000 };
  let firstDone!: () => void;
  const t0Done = new Promise<void>((r) => (firstDone = r));
  const run = executor(c).run([{ id: 't0', kind: 'noop', payload: {} }, { id: 't1', kind: 'noop', payload: held }, { id: 't2', kind: 'noop', payload: held }], {
    onEvent: (e) => e.kind === 'finished' && e.result.id === 't0' && firstDone(),
  });
  await t0Done;
  await c.api.delete(`/apis/batch/v1/namespaces/${c.namespace}/jobs/${c.state.jobs[0]!.metadata.name}`, { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' });
  const rs = byId(await run);
  assert.equal(rs.t0.status, 'ok');
  for (const r of [rs.t1, rs.t2]) {
    assert.deepEqual([r.status, r.failure], ['failed', 'cancelled']);
    assert.match(r.reason!, /deleted from outside caplab/);
  }
});

test('resubmitting the same specs attaches to the existing Job (the API server answers 409) instead of creating another', { skip }, async () => {
  const c = await start();
  const first = await executor(c).run(specs(2));
  const second = await executor(c).run(specs(2));
  assert.equal(c.state.jobs.length, 1);
  assert.equal(c.state.pods.length, 2, 'no new pods');
  assert.deepEqual(second.map((r) => [r.id, r.status, r.worker]), first.map((r) => [r.id, r.status, r.worker]));
});

test('resubmitting the same ids with other content is refused with a clear conflict', { skip }, async () => {
  const c = await start();
  const first = new AbortController();
  const running = executor(c).run(specs(2, 't', { sleepMs: 120_000 }), { signal: first.signal });
  await c.waitFor((s) => s.jobs.length === 1, 30_000, 'the first Job');
  await assert.rejects(executor(c).run(specs(2, 't', { sleepMs: 5 })), (e: unknown) => {
    assert.ok(isCaplabError(e, 'job-conflict'));
    assert.match((e as Error).message, new RegExp(`already exists in namespace ${c.namespace} with different specs`));
    assert.match((e as Error).message, /kubectl delete job/);
    return true;
  });
  first.abort();
  await running;
});

test('cancel deletes the Job with Background propagation: the specs come back stopped, the pods get SIGTERM and go', { skip }, async () => {
  const c = await start();
  const controller = new AbortController();
  const run = executor(c).run(specs(3, 't', { sleepMs: 120_000 }), { signal: controller.signal });
  await c.waitFor((s) => s.pods.length === 3 && s.pods.every((p) => p.status?.phase === 'Running'), 60_000, 'pods running');
  controller.abort();
  const rs = await run;
  assert.deepEqual(rs.map((r) => [r.status, r.failure]), Array(3).fill(['stopped', 'cancelled']));
  await c.waitFor((s) => s.jobs.length === 0 && s.pods.length === 0, 60_000, 'Job and pods gone');
  assert.ok(c.state.events.some((e) => e.reason === 'Killing' && e.source?.component === 'kubelet'), 'the node stopped the containers');
});

test('a resume submits only the missing specs, as a Job of its own next to the old one', { skip }, async () => {
  const c = await start();
  await executor(c).run(specs(4));
  const rs = await executor(c).run(specs(4).slice(2));
  assert.deepEqual(rs.map((r) => [r.id, r.status]), [['t2', 'ok'], ['t3', 'ok']]);
  const jobs = c.state.jobs;
  assert.equal(jobs.length, 2);
  const resumed = jobs.find((j) => j.spec.completions === 2)!;
  assert.deepEqual(JSON.parse(c.state.get('configmaps', resumed.metadata.name)!.data['specs.json']).map((s: Spec) => s.id), ['t2', 't3']);
});

test("a bad-config exit fails only that spec, as bad-config, without a retry (podFailurePolicy FailIndex)", { skip }, async () => {
  const c = await start();
  const rs = byId(await executor(c, { retries: 2 }).run([{ id: 't0', kind: 'noop', payload: { fail: 'bad-config' } }, { id: 't1', kind: 'noop', payload: {} }]));
  assert.deepEqual([rs.t0.status, rs.t0.failure], ['failed', 'bad-config']);
  assert.equal(rs.t1.status, 'ok');
  assert.equal(c.state.pods.filter((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'] === '0').length, 1);
});

test('dry run prints the manifests and applies nothing', { skip }, async () => {
  const c = await start();
  let yaml = '';
  const rs = await executor(c, { dryRun: true, output: (y) => (yaml += y) }).run(specs(2));
  assert.deepEqual(rs.map((r) => [r.status, r.failure]), [['stopped', 'dry-run'], ['stopped', 'dry-run']]);
  assert.match(yaml, /kind: ConfigMap[\s\S]*kind: Job/);
  assert.deepEqual([c.state.jobs.length, c.state.list('configmaps').filter((m) => m.metadata.name !== 'kube-root-ca.crt').length], [0, 0]);
});

test("pods refused for a missing ServiceAccount fail the specs fast as create-failed with the API server's message, and the Job is deleted", { skip }, async () => {
  const c = await start({ workerServiceAccount: false });
  const rs = await executor(c, { createFailedGraceMs: 50 }).run(specs(3));
  for (const r of rs) {
    assert.deepEqual([r.status, r.failure], ['failed', 'create-failed']);
    assert.match(r.reason!, /serviceaccount "caplab-worker" not found/);
    assert.match(r.reason!, /npm run deploy.*kubectl apply -k k8s\//);
  }
  assert.equal(c.state.pods.length, 0);
  assert.ok(c.state.events.some((e) => e.reason === 'FailedCreate' && e.involvedObject.kind === 'Job'));
  await c.waitFor((s) => s.jobs.length === 0, 30_000, 'the Job to be deleted');
});

test('a refusal that clears up within the grace (the ServiceAccount appears) lets every spec run', { skip }, async () => {
  const c = await start({ workerServiceAccount: false });
  const run = executor(c, { createFailedGraceMs: 20_000 }).run(specs(2));
  await c.waitFor((s) => s.events.some((e) => e.reason === 'FailedCreate'), 30_000, 'a FailedCreate event');
  await clientsFor(c).core.createNamespacedServiceAccount({ namespace: c.namespace, body: { metadata: { name: 'caplab-worker' } } });
  const rs = await run;
  assert.deepEqual(rs.map((r) => r.status), ['ok', 'ok']);
});

test('a pod preempted by the scheduler (a higher PriorityClass) is replaced by the Job and its spec still succeeds', { skip }, async (t) => {
  const c = await start();
  const high = `caplab-test-high-${c.namespace}`;
  await c.api.post('/apis/scheduling.k8s.io/v1/priorityclasses', { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: high }, value: 1_000_000 });
  t.after(() => c.api.delete(`/apis/scheduling.k8s.io/v1/priorityclasses/${high}`).catch(() => undefined));
  // One worker per node (each asks for most of a node's memory), then a pod that only fits by preempting one.
  const nodes = (await c.api.get('/api/v1/nodes')).items.length;
  const run = executor(c, { memory: '3Gi' }).run(specs(nodes, 't', { sleepMs: 6000 }));
  await c.waitFor((s) => s.pods.length === nodes && s.pods.every((p) => p.status?.phase === 'Running'), 60_000, 'a worker on every node');
  await c.api.post(`/api/v1/namespaces/${c.namespace}/pods`, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'vip' },
    spec: { priorityClassName: high, restartPolicy: 'Never', containers: [{ name: 'main', image: 'node:24', command: ['node', '-e', 'setTimeout(() => {}, 1000)'], resources: { requests: { cpu: '100m', memory: '2Gi' }, limits: { memory: '2Gi' } } }] },
  });
  const rs = await run;
  assert.ok(c.state.events.some((e) => e.reason === 'Preempted'), 'the scheduler preempted a worker');
  assert.deepEqual(rs.map((r) => r.status), Array(nodes).fill('ok'), rs.map((r) => r.reason).join('; '));
});


/** Polls the API server until `ok` holds (observed state, not a timer: each turn reads the object again). */
async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, tries = 300): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await read();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test("pods refused by an exceeded ResourceQuota fail the specs fast as create-failed with the API server's message", { skip }, async () => {
  const c = await start();
  const { core } = clientsFor(c);
  await core.createNamespacedResourceQuota({ namespace: c.namespace, body: { metadata: { name: 'no-pods' }, spec: { hard: { pods: '0' } } } });
  // Admission only counts against a quota the quota controller has seen.
  await until(() => core.readNamespacedResourceQuota({ namespace: c.namespace, name: 'no-pods' }), (q) => q.status?.hard?.pods === '0', 'the quota controller to take up the quota');
  const rs = await executor(c, { createFailedGraceMs: 50 }).run(specs(2));
  for (const r of rs) {
    assert.deepEqual([r.status, r.failure], ['failed', 'create-failed']);
    assert.match(r.reason!, /exceeded quota: no-pods/);
  }
  assert.equal(c.state.pods.length, 0);
});

test("Pod Security admission at 'restricted' admits caplab's pods (and refuses a pod that is not), so every spec runs", { skip }, async () => {
  const c = await start();
  const { core } = clientsFor(c);
  const ns = await core.readNamespace({ name: c.namespace });
  ns.metadata!.labels = { ...ns.metadata!.labels, 'pod-security.kubernetes.io/enforce': 'restricted' };
  await core.replaceNamespace({ name: c.namespace, body: ns });
  await assert.rejects(
    core.createNamespacedPod({ namespace: c.namespace, body: { metadata: { name: 'loose' }, spec: { containers: [{ name: 'c', image: 'node:24' }] } } }),
    (e: { code?: number; body?: string }) => e.code === 403 && /violates PodSecurity \\?"restricted/.test(String(e.body)),
  );
  const rs = await executor(c).run(specs(2));
  assert.deepEqual(rs.map((r) => r.status), ['ok', 'ok']);
});

test("a Job past its activeDeadlineSeconds fails its running spec as 'timeout' with the Job controller's reason", { skip }, async () => {
  const c = await start();
  const rs = await executor(c, { activeDeadlineSeconds: 2 }).run(specs(1, 'slow', { sleepMs: 120_000 }));
  assert.deepEqual([rs[0]!.status, rs[0]!.failure], ['failed', 'timeout']);
  assert.match(rs[0]!.reason!, /deadline/i);
});
