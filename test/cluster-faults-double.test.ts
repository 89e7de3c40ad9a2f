/**
 * The one fault the local control plane does not make, against test/k8s-fake (the API double) in
 * simulated mode: OOMKilled reported with exit 0 and phase Succeeded, as some kubelets have shown
 * (a kernel OOM kill here is a SIGKILL: exit 137, as the other OOM tests check).
 */
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeCluster, type FakeCluster, type FakeClusterOptions, type FakeObject } from './k8s-fake/index.ts';
import { createKubernetesExecutor, type Spec, type SpecResult } from '../lib/index.ts';
import type { KubernetesExecutorOptions } from '../lib/exec/kubernetes.ts';
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

test("an OOMKilled pod that exits 0 (phase Succeeded) still fails its spec as 'oom', read from the reason", async () => {
  const c = await start({ faults: [{ kind: 'oom', exitCode: 0, podIndex: 1 }] });
  const rs = byId(await executor(c, { memory: '512Mi' }).run(specs(3)));
  assert.equal(rs.t0.status, 'ok');
  assert.equal(rs.t2.status, 'ok');
  assert.deepEqual([rs.t1.status, rs.t1.failure], ['failed', 'oom']);
  assert.match(rs.t1.reason!, /OOMKilled: pod memory limit 512Mi/);
});

