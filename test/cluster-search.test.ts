/**
 * The whole search through the kubernetes executor, end to end: the real client against the
 * local control plane (k8s/local), whose process nodes run each pod's `caplab worker` as a local
 * process with its env (CAPLAB_SPECS from the ConfigMap, JOB_COMPLETION_INDEX from the real Job
 * controller).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalCluster, localClusterUnavailable, type LocalCluster } from './helpers/local-cluster.ts';
import { generateDataset } from '../lib/data/index.ts';
import { runSearch } from '../lib/search/index.ts';
import { createKubernetesExecutor, type Spec } from '../lib/index.ts';

let root: string;
let data: string;
let cluster: LocalCluster;
const skip = localClusterUnavailable() ?? false;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'caplab-cluster-search-'));
  data = (await generateDataset({ out: join(root, 'data'), tickers: 4, days: 120, seed: 5 })).path;
  if (!skip) cluster = await startLocalCluster();
});
after(async () => {
  await cluster?.close();
  await rm(root, { recursive: true, force: true });
});

test('18 noop specs run as pods of one Indexed Job and all come back ok', { skip }, async () => {
  const specs: Spec[] = Array.from({ length: 18 }, (_, i) => ({ id: `noop-${i}`, kind: 'noop', payload: {} }));
  const rs = await createKubernetesExecutor({ kubeconfig: cluster.kubeconfigPath, experiment: 'noop18', cpu: '100m', memory: '256Mi' }).run(specs);
  assert.deepEqual(rs.map((r) => r.status), Array(18).fill('ok'));
  assert.equal(new Set(rs.map((r) => r.worker)).size, 18);
  const job = cluster.state.jobs.find((j) => j.metadata.name.startsWith('caplab-noop18-'))!;
  assert.equal(job.spec.completions, 18);
  assert.ok(rs.every((r) => r.provenance.executor === 'kubernetes' && r.provenance.cluster?.pod === r.worker));
});

test('a search on the cluster gives the same metrics as the sequential executor, and records where it ran', { skip }, async () => {
  const common = { data, epochs: 1, trials: 3, backend: 'cpu' as const };
  const local = await runSearch({ ...common, out: join(root, 'seq'), executor: 'sequential' });
  const cloud = await runSearch({
    ...common,
    out: join(root, 'k8s'),
    executor: 'kubernetes',
    executorOptions: { kubernetes: { kubeconfig: cluster.kubeconfigPath } },
  });
  assert.equal(cloud.executor, 'kubernetes');
  assert.deepEqual([cloud.ok, cloud.failed], [3, 0]);
  for (const r of cloud.records) {
    const l = local.records.find((x) => x.trialId === r.trialId)!;
    assert.deepEqual(r.metrics, l.metrics, `metrics of ${r.trialId}: pods regenerate the same synthetic data`);
    assert.equal(r.provenance.executor, 'kubernetes');
    assert.equal(r.provenance.cluster?.context, cluster.contextName);
    assert.match(r.worker, /^caplab-/);
  }
});

test('an aborted search resumes on the cluster by submitting only the missing trials', { skip }, async () => {
  const out = join(root, 'resume');
  // One pod at a time, so the abort after the first result always finds the others unfinished.
  const common = { data, epochs: 1, trials: 3, backend: 'cpu' as const, out, executor: 'kubernetes' as const, executorOptions: { kubernetes: { kubeconfig: cluster.kubeconfigPath, experiment: 'resume-test', parallelism: 1 } } };
  const controller = new AbortController();
  const first = await runSearch({ ...common, signal: controller.signal, onTrial: () => controller.abort() });
  assert.ok(first.ran >= 1 && first.cancelled >= 1, `ran ${first.ran}, cancelled ${first.cancelled}`);
  const jobsBefore = cluster.state.jobs.length;
  const second = await runSearch({ ...common, resume: true });
  assert.equal(second.skipped, first.ran);
  assert.equal(second.ran, 3 - first.ran);
  assert.equal(second.ok, 3);
  const newest = cluster.state.jobs.slice(jobsBefore);
  assert.equal(newest.length, 1);
  assert.equal(newest[0].spec.completions, 3 - first.ran);
});

test('progress lines stream from the pods while they run, and a stop request ends that trial early', { skip }, async () => {
  const specs: Spec[] = [0, 1].map((i) => ({ id: `curve-${i}`, kind: 'noop', payload: { curve: [0.9, 0.8, 0.7, 0.6, 0.5, 0.4], stepMs: 400 } }));
  const seen: string[] = [];
  const rs = await createKubernetesExecutor({ kubeconfig: cluster.kubeconfigPath, experiment: 'early', cpu: '100m', memory: '256Mi' }).run(specs, {
    onSpecProgress: (id, data) => {
      const epoch = (data as { epoch: number }).epoch;
      seen.push(`${id}@${epoch}`);
      return id === 'curve-0' && epoch === 2 ? 'stop' : undefined;
    },
  });
  assert.deepEqual([rs[0].status, rs[0].failure], ['stopped', 'early-stop'], rs[0].reason);
  assert.equal(rs[1].status, 'ok');
  assert.ok(seen.includes('curve-0@2') && seen.includes('curve-1@6'), seen.join(' '));
  assert.ok(!seen.includes('curve-0@6'), 'the stopped trial did not run to its end');
});
