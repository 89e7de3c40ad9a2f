/**
 * A search on a cluster that was never set up (`kubectl apply -k k8s/` not run): the API server
 * refuses the worker pods for their missing ServiceAccount, and the search says so at once
 * instead of waiting forever; once the ServiceAccount exists, the same search runs.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalCluster, localClusterUnavailable, clientsFor, type LocalCluster } from './helpers/local-cluster.ts';
import { generateDataset } from '../lib/data/index.ts';
import { runSearch } from '../lib/search/index.ts';

let root: string;
let data: string;
let cluster: LocalCluster;
const skip = localClusterUnavailable() ?? false;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'caplab-cluster-sa-'));
  data = (await generateDataset({ out: join(root, 'data'), tickers: 4, days: 120, seed: 5 })).path;
  if (!skip) cluster = await startLocalCluster({ workerServiceAccount: false });
});
after(async () => {
  await cluster?.close();
  await rm(root, { recursive: true, force: true });
});

test('a search fails fast with the API server\'s message while the worker ServiceAccount is missing, and runs once it exists', { skip }, async () => {
  const common = {
    data,
    epochs: 1,
    trials: 2,
    backend: 'cpu' as const,
    executor: 'kubernetes' as const,
    executorOptions: { kubernetes: { kubeconfig: cluster.kubeconfigPath, createFailedGraceMs: 100 } },
  };
  const refused = await runSearch({ ...common, out: join(root, 'refused') });
  assert.deepEqual([refused.ok, refused.failed], [0, 2]);
  for (const r of refused.records) {
    assert.equal(r.failure, 'create-failed');
    assert.match(r.reason!, new RegExp(`error looking up service account ${cluster.namespace}/caplab-worker: serviceaccount "caplab-worker" not found`));
    assert.match(r.reason!, /npm run deploy/);
  }
  await cluster.waitFor((s) => s.jobs.length === 0, 30_000, 'the refused Job to be deleted');

  await clientsFor(cluster).core.createNamespacedServiceAccount({ namespace: cluster.namespace, body: { metadata: { name: 'caplab-worker' } } });
  const ran = await runSearch({ ...common, out: join(root, 'refused'), resume: true, retryFailed: true });
  assert.deepEqual([ran.ok, ran.failed], [2, 0]);
});
