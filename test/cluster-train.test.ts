/**
 * Data-parallel training on the real local control plane (k8s/local: kube-apiserver, controller
 * manager, scheduler and etcd, with caplab's process nodes): ranks as pods of one Indexed Job that
 * meet at <job>-0.<job>, a rank killed mid-training, and a pod OOMKilled by its memory cgroup.
 * Pods run this checkout's worker (command `node <repo>/bin/caplab.js worker`).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateDataset } from '../lib/data/index.ts';
import { trainOnCluster, type ClusterTrainOptions } from '../lib/distributed/cluster-train.ts';
import { runDataParallelLocal } from '../lib/distributed/local.ts';
import { buildDataClaim } from '../lib/cluster/objects/pvc.ts';
import { trainModel } from '../lib/train/train.ts';
import { isCaplabError } from '../lib/errors.ts';
import { startLocalCluster, localClusterUnavailable, type LocalCluster } from './helpers/local-cluster.ts';

const skip = localClusterUnavailable() ?? false;
const command = ['node', resolve(import.meta.dirname, '..', 'bin', 'caplab.js'), 'worker'];

let root: string;
let cluster: LocalCluster;
let small: string;
let larger: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'caplab-cluster-train-'));
  small = (await generateDataset({ out: join(root, 'small'), tickers: 4, days: 120, seed: 5 })).path;
  larger = (await generateDataset({ out: join(root, 'larger'), tickers: 24, days: 250, seed: 5 })).path;
  if (skip) return;
  cluster = await startLocalCluster();
  const claim = buildDataClaim({ size: '1Gi' });
  await cluster.api.post(`/api/v1/namespaces/${cluster.namespace}/persistentvolumeclaims`, { ...claim, metadata: { ...claim.metadata, namespace: cluster.namespace } });
});
after(async () => {
  await cluster?.close();
  await rm(root, { recursive: true, force: true });
});

const on = (o: Omit<ClusterTrainOptions, 'kubeconfig'>): ClusterTrainOptions => ({ kubeconfig: cluster.kubeconfigPath, cpu: '500m', memory: '512Mi', backend: 'cpu', command, ...o });

test('2 ranks on the cluster give the metrics of one process at twice the batch, and say where each rank ran', { skip }, async () => {
  // Batch = each rank's whole share: a step's union batch is the one process's whole batch.
  const config = { hidden: [8], epochs: 3, learningRate: 0.01, seed: 3, batchSize: 1000 };
  const r = await trainOnCluster(on({ data: small, ranks: 2, config }));
  const one = await trainModel(small, { config: { ...config, batchSize: 2000 }, backend: 'cpu' });
  assert.equal(r.train.rows, one.rows);
  for (const [i, e] of r.train.epochs.entries()) {
    assert.ok(Math.abs(e.valLoss - one.epochs[i].valLoss) < 1e-5 * (1 + one.epochs[i].valLoss), `epoch ${i + 1}: ${e.valLoss} vs ${one.epochs[i].valLoss}`);
  }
  assert.ok(Math.abs(r.train.metrics.test.rmse - one.metrics.test.rmse) < 1e-5 * (1 + one.metrics.test.rmse));
  assert.ok(r.replicasIdentical);
  assert.equal(r.ranks.reduce((a, k) => a + k.localRows, 0), one.rows, 'each rank held only its share');
  for (const k of r.ranks) {
    assert.match(k.node ?? '', /^caplab-local-node-/);
    assert.match(k.pod ?? '', new RegExp(`^${r.job.name}-${k.rank}-`));
    assert.ok(k.peakRssBytes > 0 && k.peakRssBytes < k.limitBytes!, `rank ${k.rank} peak ${k.peakRssBytes} within ${k.limitBytes}`);
  }
  assert.equal(r.provenance.executor, 'kubernetes');
  assert.equal(r.provenance.cluster?.context, cluster.contextName);
  assert.deepEqual([r.job.attempts, r.job.resumedFromEpoch], [1, null]);
  await cluster.waitFor((s) => !s.get('services', r.job.name) || s.get('services', r.job.name)!.metadata.ownerReferences?.[0]?.name === r.job.name, 30_000, 'the Service owned by its Job');
});

test('a rank killed mid-training restarts the group from its checkpoint, and the final model is an uninterrupted run\'s', { skip }, async () => {
  const config = { hidden: [16, 8], epochs: 8, seed: 4, dropout: 0.1, batchSize: 16 };
  const reference = await runDataParallelLocal({ data: larger, ranks: 2, config, backend: 'cpu' });
  let killed: string | undefined;
  const r = await trainOnCluster(on({
    data: larger, ranks: 2, config,
    onRankProgress: (p) => {
      if (killed || p.attempt !== 0 || p.rank !== 0 || p.epoch < 2) return;
      const pod = cluster.state.pods.find((x) => x.metadata.annotations?.['batch.kubernetes.io/job-completion-index'] === '1' && x.status?.phase === 'Running');
      killed = pod?.metadata.name;
      if (killed) void cluster.api.delete(`/api/v1/namespaces/${cluster.namespace}/pods/${killed}`, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 });
    },
  }));
  assert.ok(killed, 'rank 1 was killed while it ran');
  assert.equal(r.job.attempts, 2);
  assert.ok(r.job.resumedFromEpoch !== null && r.job.resumedFromEpoch >= 1, `resumed from ${r.job.resumedFromEpoch}`);
  assert.equal(r.ranks[0].paramsSha256, reference.ranks[0].paramsSha256, 'the same final weights, bit for bit');
  // Evaluation sums each rank's share of the validation and test rows in float64: the pods and
  // the local launcher may add those shares in a different order, so losses and metrics agree to
  // float64 rounding (seen: 2e-15), while the weights above agree bit for bit.
  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
  r.train.epochs.forEach((e, i) => close(e.valLoss, reference.train.epochs[i].valLoss, `epoch ${i + 1} validation loss`));
  assert.equal(r.train.epochs.length, reference.train.epochs.length);
  for (const split of ['validation', 'test'] as const) {
    for (const k of ['mse', 'rmse', 'mae', 'r2', 'directionalAccuracy'] as const) close(r.train.metrics![split][k], reference.train.metrics![split][k], `${split} ${k}`);
  }
});

test('a single pod whose limit its data and runtime do not fit is reported OOMKilled, with a plan', { skip }, async () => {
  // Pods get at least 64Mi; a rank now holds only its share, so the data must be big enough that
  // one rank holding all of it (about 19 MB of rows, plus its generation) cannot fit beside the runtime.
  const big = (await generateDataset({ out: join(root, 'big'), tickers: 1000, days: 250, seed: 6 })).path;
  await assert.rejects(
    trainOnCluster(on({ data: big, ranks: 1, memory: '64Mi', maxRestarts: 0, checkpointClaim: false, config: { epochs: 1 } })),
    (e) => isCaplabError(e, 'rank-oom') && /OOMKilled/.test(e.message) && /memory limit 64Mi/.test(e.message) && /Run it as/.test(e.hint ?? ''),
  );
});
