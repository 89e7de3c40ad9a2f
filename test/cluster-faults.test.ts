/**
 * The kubernetes executor against test/k8s-fake (the API double) in simulated mode: every fault a
 * real cluster shows, and what caplab makes of it.
 */
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeCluster, type FakeCluster, type FakeClusterOptions, type FakeObject } from './k8s-fake/index.ts';
import { clientsFor } from './k8s-fake/testing.ts';
import { createKubernetesExecutor, isCaplabError, type KubernetesExecutorOptions, type Spec, type SpecResult } from '../lib/index.ts';
import { formatResultLine } from '../lib/exec/index.ts';

let cluster: FakeCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const specs = (n: number, prefix = 't', payload: object = {}): Spec[] => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, kind: 'noop', payload }));

/** Simulated containers print a worker result line for their spec (read back from the ConfigMap). */
function workerLike(c: () => FakeCluster): NonNullable<FakeClusterOptions['simulate']> {
  return (pod: FakeObject) => {
    const index = Number(pod.metadata.annotations?.['batch.kubernetes.io/job-completion-index']);
    const cmName = pod.metadata.labels?.['caplab.dev/job'];
    const cm = c().state.get('configmaps', cmName!, pod.metadata.namespace);
    const spec = JSON.parse(cm!.data['specs.json'])[index] as Spec;
    return { exitCode: 0, log: `booting\n${formatResultLine({ id: spec.id, status: 'ok', result: { index }, seconds: 0.01 })}\n` };
  };
}

async function start(options: FakeClusterOptions = {}): Promise<FakeCluster> {
  cluster = await startFakeCluster({ mode: 'simulated', simulate: workerLike(() => cluster!), ...options });
  return cluster;
}

function executor(c: FakeCluster, options: KubernetesExecutorOptions = {}) {
  return createKubernetesExecutor({ kubeconfig: c.kubeconfigPath, experiment: 'faults', unschedulableGraceMs: 50, watch: { backoffMs: 20, maxBackoffMs: 200 }, ...options });
}

const byId = (rs: SpecResult[]) => Object.fromEntries(rs.map((r) => [r.id, r]));

test('every spec comes back ok with the pod, node and cluster in its provenance', async () => {
  const c = await start();
  const events: string[] = [];
  const rs = await executor(c).run(specs(3), { onEvent: (e) => events.push(e.kind) });
  assert.deepEqual(rs.map((r) => [r.id, r.status]), [['t0', 'ok'], ['t1', 'ok'], ['t2', 'ok']]);
  assert.deepEqual(rs.map((r) => (r.result as { index: number }).index), [0, 1, 2]);
  for (const r of rs) {
    assert.equal(r.provenance.executor, 'kubernetes');
    assert.equal(r.provenance.cluster?.context, c.contextName);
    assert.equal(r.provenance.cluster?.serverVersion, 'v1.33.1');
    assert.match(r.provenance.cluster?.node ?? '', /^fake-node-/);
    assert.equal(r.provenance.cluster?.pod, r.worker);
    assert.equal(r.provenance.cluster?.memory, '1Gi');
  }
  assert.equal(events.filter((e) => e === 'started').length, 3);
  assert.equal(events.filter((e) => e === 'finished').length, 3);
});

for (const exitCode of [137, 0] as const) {
  test(`an OOMKilled pod (exit ${exitCode}) fails its spec as 'oom', read from the reason`, async () => {
    const c = await start({ faults: [{ kind: 'oom', exitCode, podIndex: 1 }] });
    const rs = byId(await executor(c, { memory: '512Mi' }).run(specs(3)));
    assert.equal(rs.t0.status, 'ok');
    assert.equal(rs.t2.status, 'ok');
    assert.deepEqual([rs.t1.status, rs.t1.failure], ['failed', 'oom']);
    assert.match(rs.t1.reason!, /OOMKilled: pod memory limit 512Mi/);
  });
}

test('ImagePullBackOff fails the specs fast with the kubelet\'s message and deletes the Job', async () => {
  const c = await start({ faults: [{ kind: 'image-pull' }] });
  const rs = await executor(c, { image: 'nowhere.example/caplab:missing' }).run(specs(3));
  for (const r of rs) {
    assert.deepEqual([r.status, r.failure], ['failed', 'image-pull']);
    assert.match(r.reason!, /nowhere\.example\/caplab:missing/);
  }
  await c.waitFor((s) => s.jobs.length === 0, 5000, 'the Job to be deleted');
});

test('Unschedulable pods fail fast with the scheduler\'s message when nothing of the Job holds a node', async () => {
  const c = await start({ faults: [{ kind: 'unschedulable', message: '0/3 nodes are available: 3 Insufficient memory.' }] });
  const rs = await executor(c, { memory: '64Gi' }).run(specs(2));
  for (const r of rs) {
    assert.deepEqual([r.status, r.failure], ['failed', 'unschedulable']);
    assert.match(r.reason!, /Insufficient memory/);
    assert.match(r.reason!, /64Gi memory/);
  }
  await c.waitFor((s) => s.jobs.length === 0, 5000, 'the Job to be deleted');
});

test('a 403 on create is an error that names the permission and points at k8s/ RBAC', async () => {
  const c = await start({ faults: [{ kind: 'forbidden', verb: 'create', resource: 'jobs' }] });
  await assert.rejects(executor(c).run(specs(2)), (e: unknown) => {
    assert.ok(isCaplabError(e, 'forbidden'));
    assert.match((e as Error).message, /refused to let you create jobs in namespace caplab/);
    assert.match((e as Error).message, /kubectl apply -k k8s\//);
    return true;
  });
});

for (const fault of [
  { kind: 'watch-drop', resource: 'pods', afterEvents: 2, mode: 'reset', times: 2 },
  { kind: 'watch-drop', resource: 'jobs', afterEvents: 1, mode: 'end', times: 1 },
  { kind: 'watch-gone', resource: 'pods', when: 'next-watch', times: 1 },
] as const) {
  test(`the watch recovers from ${fault.kind} (${'mode' in fault ? fault.mode : fault.when}) and every spec gets its result`, async () => {
    const c = await start({ faults: [fault] });
    const rs = await executor(c).run(specs(4));
    assert.deepEqual(rs.map((r) => r.status), ['ok', 'ok', 'ok', 'ok']);
  });
}

test('the watch recovers after the history is compacted (410 Gone, re-list)', async () => {
  const c = await start({ simulate: () => 'hold' });
  const ex = executor(c);
  const run = ex.run(specs(2));
  const pods = await c.waitFor((s) => (s.pods.length === 2 && s.pods.every((p) => p.status?.phase === 'Running') ? s.pods : null), 5000, 'pods running');
  c.compact();
  c.inject({ kind: 'watch-gone', when: 'now' });
  for (const p of pods) c.finishPod(p.metadata.name, { exitCode: 0, log: formatResultLine({ id: `t${p.metadata.annotations!['batch.kubernetes.io/job-completion-index']}`, status: 'ok' }) });
  const rs = await run;
  assert.deepEqual(rs.map((r) => r.status), ['ok', 'ok']);
});

test('a Job deleted from outside fails the remaining specs with a clear reason', async () => {
  const c = await start({ simulate: (pod) => (pod.metadata.annotations?.['batch.kubernetes.io/job-completion-index'] === '0' ? workerLike(() => c)(pod, 'worker') : 'hold') });
  let firstDone!: () => void;
  const t0Done = new Promise<void>((r) => (firstDone = r));
  const run = executor(c).run(specs(3), { onEvent: (e) => e.kind === 'finished' && e.result.id === 't0' && firstDone() });
  await t0Done;
  c.deleteJob(c.state.jobs[0].metadata.name);
  const rs = byId(await run);
  assert.equal(rs.t0.status, 'ok');
  for (const r of [rs.t1, rs.t2]) {
    assert.deepEqual([r.status, r.failure], ['failed', 'cancelled']);
    assert.match(r.reason!, /deleted from outside caplab/);
  }
});

test('resubmitting the same specs attaches to the existing Job instead of creating another', async () => {
  const c = await start();
  const first = await executor(c).run(specs(2));
  const creates = () => c.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/jobs')).length;
  assert.equal(creates(), 1);
  const second = await executor(c).run(specs(2));
  assert.equal(creates(), 2, 'a second create, answered 409');
  assert.ok(c.requests.some((r) => r.method === 'POST' && r.path.endsWith('/jobs') && r.status === 409));
  assert.equal(c.state.pods.length, 2, 'no new pods');
  assert.equal(c.state.jobs.length, 1);
  assert.deepEqual(second.map((r) => [r.id, r.status, r.worker]), first.map((r) => [r.id, r.status, r.worker]));
});

test('resubmitting the same ids with other content is refused with a clear conflict', async () => {
  const c = await start({ simulate: () => 'hold' });
  const first = new AbortController();
  const running = executor(c).run(specs(2), { signal: first.signal });
  await c.waitFor((s) => s.jobs.length === 1, 5000, 'the first Job');
  await assert.rejects(executor(c).run(specs(2, 't', { sleepMs: 5 })), (e: unknown) => {
    assert.ok(isCaplabError(e, 'job-conflict'));
    assert.match((e as Error).message, /already exists in namespace caplab with different specs/);
    assert.match((e as Error).message, /kubectl delete job/);
    return true;
  });
  first.abort();
  await running;
});

test('cancel deletes the Job with Background propagation and returns the specs as stopped', async () => {
  const c = await start({ simulate: () => 'hold' });
  const controller = new AbortController();
  const run = executor(c).run(specs(3), { signal: controller.signal });
  await c.waitFor((s) => s.pods.length === 3 && s.pods.every((p) => p.status?.phase === 'Running'), 5000, 'pods running');
  controller.abort();
  const rs = await run;
  assert.deepEqual(rs.map((r) => [r.status, r.failure]), Array(3).fill(['stopped', 'cancelled']));
  const del = c.requests.find((r) => r.method === 'DELETE' && /\/jobs\//.test(r.path));
  assert.ok(del, 'a DELETE of the Job');
  assert.match(del!.query, /propagationPolicy=Background/);
  await c.waitFor((s) => s.jobs.length === 0 && s.pods.length === 0, 5000, 'Job and pods gone');
});

test('a resume submits only the missing specs, as a Job of its own next to the old one', async () => {
  const c = await start();
  await executor(c).run(specs(4));
  const missing = specs(4).slice(2);
  const rs = await executor(c).run(missing);
  assert.deepEqual(rs.map((r) => [r.id, r.status]), [['t2', 'ok'], ['t3', 'ok']]);
  const jobs = c.state.jobs;
  assert.equal(jobs.length, 2);
  const resumed = jobs.find((j) => j.spec.completions === 2)!;
  assert.deepEqual(JSON.parse(c.state.get('configmaps', resumed.metadata.name, c.namespace)!.data['specs.json']).map((s: Spec) => s.id), ['t2', 't3']);
});

test('a bad-config exit fails only that spec, as bad-config, without a retry', async () => {
  const c = await start({ faults: [{ kind: 'exit', exitCode: 3, podIndex: 0, log: 'bad config: hidden must be positive' }] });
  const rs = byId(await executor(c, { retries: 2 }).run(specs(2)));
  assert.deepEqual([rs.t0.status, rs.t0.failure], ['failed', 'bad-config']);
  assert.equal(rs.t1.status, 'ok');
  assert.equal(c.state.pods.filter((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'] === '0').length, 1);
});

test('a preempted pod is retried by the Job and its spec still succeeds', async () => {
  const c = await start({ faults: [{ kind: 'disruption', podIndex: 0, times: 1 }] });
  const rs = await executor(c).run(specs(2));
  assert.deepEqual(rs.map((r) => r.status), ['ok', 'ok']);
});

test('dry run prints the manifests and applies nothing', async () => {
  const c = await start();
  let yaml = '';
  const rs = await executor(c, { dryRun: true, output: (y) => (yaml += y) }).run(specs(2));
  assert.deepEqual(rs.map((r) => [r.status, r.failure]), [['stopped', 'dry-run'], ['stopped', 'dry-run']]);
  assert.match(yaml, /kind: ConfigMap[\s\S]*kind: Job/);
  assert.equal(c.requests.length, 0);
});

test('pods refused for a missing ServiceAccount fail the specs fast as create-failed with the API server\'s message, and the Job is deleted', async () => {
  const c = await start({ requireServiceAccounts: true });
  const rs = await executor(c, { createFailedGraceMs: 50 }).run(specs(3));
  for (const r of rs) {
    assert.deepEqual([r.status, r.failure], ['failed', 'create-failed']);
    assert.match(r.reason!, /serviceaccount "caplab-worker" not found/);
    assert.match(r.reason!, /npm run deploy.*kubectl apply -k k8s\//);
  }
  assert.equal(c.state.pods.length, 0);
  assert.ok(c.state.events.some((e) => e.reason === 'FailedCreate' && e.involvedObject.kind === 'Job'));
  const del = c.requests.find((r) => r.method === 'DELETE' && /\/jobs\//.test(r.path));
  assert.match(del?.query ?? '', /propagationPolicy=Background/);
  await c.waitFor((s) => s.jobs.length === 0, 5000, 'the Job to be deleted');
});

test('a refusal that clears up within the grace (the ServiceAccount appears) lets every spec run', async () => {
  const c = await start({ requireServiceAccounts: true });
  const run = executor(c, { createFailedGraceMs: 3000 }).run(specs(2));
  await c.waitFor((s) => s.events.some((e) => e.reason === 'FailedCreate'), 5000, 'a FailedCreate event');
  const { core } = clientsFor(c);
  await core.createNamespacedServiceAccount({ namespace: c.namespace, body: { metadata: { name: 'caplab-worker' } } });
  const rs = await run;
  assert.deepEqual(rs.map((r) => r.status), ['ok', 'ok']);
});

test('the worker ServiceAccount in place, a cluster that requires it runs every spec', async () => {
  const c = await start({ requireServiceAccounts: true, serviceAccounts: ['caplab-worker'] });
  const rs = await executor(c, { createFailedGraceMs: 50 }).run(specs(2));
  assert.deepEqual(rs.map((r) => r.status), ['ok', 'ok']);
});
