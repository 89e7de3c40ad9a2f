/**
 * Imported data on the cluster: a data Job writes the dataset onto the caplab-data PVC, and a
 * search with kubernetes.dataPath (`--cluster-data /data/NAME`) sends trials that path with the
 * local dataset's checksum; pods mount the claim read-only and check the checksum. On the local
 * control plane, where the claim is provisioned as a host folder shared by the process nodes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalCluster, localClusterUnavailable, clientsFor, finishedJob, condition, type LocalCluster } from './helpers/local-cluster.ts';
import { generateDataset, importCsv } from '../lib/data/index.ts';
import { runSearch } from '../lib/search/index.ts';
import { buildDataJob, createKubernetesExecutor, isCaplabError } from '../lib/index.ts';
import { buildDataClaim } from '../lib/cluster/index.ts';

let root: string;
let data: string;
let cluster: LocalCluster;
const skip = localClusterUnavailable() ?? false;
const gen = ['--tickers', '4', '--days', '120', '--seed', '5'];

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'caplab-cluster-data-'));
  data = (await generateDataset({ out: join(root, 'data'), tickers: 4, days: 120, seed: 5 })).path;
  if (skip) return;
  cluster = await startLocalCluster();
  const { core, batch } = clientsFor(cluster);
  await core.createNamespacedPersistentVolumeClaim({ namespace: cluster.namespace, body: buildDataClaim() as never });
  const job = buildDataJob({ args: ['data', 'generate', ...gen, '--out', '/data/base'], cpu: '100m', memory: '256Mi' });
  await batch.createNamespacedJob({ namespace: cluster.namespace, body: job as never });
  const done = await finishedJob(cluster, job.metadata.name, 120_000);
  assert.ok(condition(done, 'Complete'), `the data Job completed: ${JSON.stringify(done.status)}`);
});
after(async () => {
  await cluster?.close();
  await rm(root, { recursive: true, force: true });
});

const onCluster = (dataPath: string, experiment: string) => ({
  epochs: 1,
  trials: 2,
  backend: 'cpu' as const,
  executor: 'kubernetes' as const,
  executorOptions: { kubernetes: { kubeconfig: cluster.kubeconfigPath, dataPath, experiment } },
});

test('trials read a dataset a data Job wrote on the PVC, mounted read-only, and match the local run', { skip }, async () => {
  const local = await runSearch({ data, out: join(root, 'seq'), epochs: 1, trials: 2, backend: 'cpu' });
  const cloud = await runSearch({ data, out: join(root, 'k8s'), ...onCluster('/data/base', 'pvc-ok') });
  assert.deepEqual([cloud.ok, cloud.failed], [2, 0], JSON.stringify(cloud.records.map((r) => r.reason)));
  for (const r of cloud.records) assert.deepEqual(r.metrics, local.records.find((x) => x.trialId === r.trialId)!.metrics);

  const job = cluster.state.jobs.find((j) => j.metadata.name.startsWith('caplab-pvc-ok-'))!;
  const pod = job.spec.template.spec;
  assert.deepEqual(pod.volumes.find((v: { name: string }) => v.name === 'data'), { name: 'data', persistentVolumeClaim: { claimName: 'caplab-data', readOnly: true } });
  assert.deepEqual(pod.containers[0].volumeMounts.find((m: { name: string }) => m.name === 'data'), { name: 'data', mountPath: '/data', readOnly: true });
  const specs = JSON.parse(cluster.state.get('configmaps', job.metadata.name, cluster.namespace)!.data['specs.json']);
  assert.equal(specs[0].payload.data.dir, '/data/base');
  assert.match(specs[0].payload.data.checksum, /^[0-9a-f]{32}$/);
  assert.equal(specs[0].payload.data.synthetic, undefined, 'pods do not regenerate the data');
});

test('a local dataset other than the one on the PVC fails every trial as bad-config, naming both checksums', { skip }, async () => {
  const other = (await generateDataset({ out: join(root, 'other'), tickers: 4, days: 120, seed: 6 })).path;
  const s = await runSearch({ data: other, out: join(root, 'mismatch'), ...onCluster('/data/base', 'pvc-mismatch') });
  assert.deepEqual([s.ok, s.failed], [0, 2]);
  for (const r of s.records) {
    assert.equal(r.failure, 'bad-config');
    assert.match(r.reason!, /dataset at \/data\/base \(checksum [0-9a-f]+\) differs from the search's local dataset/);
  }
});

test('a path with no dataset on the PVC fails as bad-config, and a path outside /data is refused up front', { skip }, async () => {
  const s = await runSearch({ data, out: join(root, 'missing'), ...onCluster('/data/nothing-here', 'pvc-missing') });
  assert.deepEqual([s.ok, s.failed], [0, 2]);
  assert.match(s.records[0].reason!, /No dataset at \/data\/nothing-here/);
  assert.throws(() => createKubernetesExecutor({ dataPath: '/srv/base' }), (e: unknown) => isCaplabError(e, 'usage') && /under \/data/.test((e as Error).message));
  await assert.rejects(runSearch({ data, out: join(root, 'seq-path'), executor: 'sequential', executorOptions: { kubernetes: { dataPath: '/data/base' } } }), /only to the kubernetes executor/);
  await assert.rejects(access(join(root, 'seq-path')), 'nothing written for a refused run');
});

test('imported data on the cluster without a cluster data path is refused before anything is submitted', { skip }, async () => {
  const csv = join(root, 'csv');
  await importCsv([join(import.meta.dirname, '..', 'data', 'fixtures', 'ohlcv-3-tickers.csv')], { out: csv });
  const before = [cluster.state.jobs.length, cluster.state.list('configmaps').length];
  await assert.rejects(
    runSearch({ data: csv, out: join(root, 'csv-search'), epochs: 1, trials: 1, executor: 'kubernetes', executorOptions: { kubernetes: { kubeconfig: cluster.kubeconfigPath } } }),
    (e: unknown) => isCaplabError(e, 'usage') && /not synthetic/.test((e as Error).message) && /--cluster-data/.test((e as { hint?: string }).hint ?? ''),
  );
  assert.deepEqual([cluster.state.jobs.length, cluster.state.list('configmaps').length], before, 'no Job or ConfigMap was created');
});
