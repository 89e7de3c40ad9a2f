/**
 * The faults the local control plane cannot make yet, against test/k8s-fake (the API double) in
 * simulated mode: dropped and expired watches (they need a fault-injecting proxy in front of the
 * API server), OOMKilled with exit 0, and preemption (a PriorityClass and a filled node).
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

test('a preempted pod is retried by the Job and its spec still succeeds', async () => {
  const c = await start({ faults: [{ kind: 'disruption', podIndex: 0, times: 1 }] });
  const rs = await executor(c).run(specs(2));
  assert.deepEqual(rs.map((r) => r.status), ['ok', 'ok']);
});
