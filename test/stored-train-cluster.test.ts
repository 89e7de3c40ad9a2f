import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterTrainRecord, checkTrainResult } from '../lib/report/stored-train.ts';
import { checkScaleInputs } from '../lib/report/compare-check.ts';
import { trainResultRecord } from '../lib/report/stored-train.ts';
import type { ClusterTrainResult } from '../lib/distributed/cluster-train.ts';
import type { Manifest } from '../lib/data/manifest.ts';
import type { TrainResult } from '../lib/train/types.ts';
import { localProvenance } from '../lib/provenance.ts';

const manifest = {
  features: ['a'], target: 'y', rows: { train: 100, validation: 10, test: 10 }, shards: [], source: { type: 'synthetic' },
} as unknown as Manifest;
const config = { hidden: [8], batchSize: 64, epochs: 2, seed: 7 } as TrainResult['config'];
const train = {
  config, backend: 'wasm', rows: 100, seconds: 1, rowsPerSecond: 100, bestEpoch: 1,
  epochs: [{ epoch: 1, loss: 1, valLoss: 1, seconds: 0.5 }],
} as unknown as TrainResult;

function clusterRun(ranks: number): ClusterTrainResult {
  const provenance = localProvenance('kubernetes', 'wasm');
  return {
    train,
    ranks: Array.from({ length: ranks }, (_, rank) => ({ rank, localRows: 100 / ranks, heldBytes: 1, peakRssBytes: 1, seconds: 1 })) as unknown as ClusterTrainResult['ranks'],
    replicasIdentical: true, seconds: 1,
    job: { run: 'r', name: 'j', attempts: 1, restarts: [], resumedFromEpoch: null },
    provenance, provenances: Array.from({ length: ranks }, () => provenance),
  };
}

test('a data-parallel record is compared by its combined batch (K ranks at b train like one process at K·b) and keeps the per-rank batch', () => {
  const rec = clusterTrainRecord(clusterRun(4), { dataDir: '/d', manifest });
  assert.equal(rec.config.batchSize, 256);
  assert.equal(rec.rankBatchSize, 64);
  assert.equal(rec.way, 'data-parallel');
  checkTrainResult(rec, 'x.json');
});

test('notebook 07 puts a 2-rank run at batch 128 beside one process at batch 256, and refuses it beside batch 128', () => {
  const dp = clusterTrainRecord(clusterRun(2), { dataDir: '/d', manifest });
  const at = (batchSize: number) => trainResultRecord({ ...train, config: { ...config, batchSize } }, { way: 'in-memory', dataDir: '/d', manifest });
  const dp128 = clusterTrainRecord({ ...clusterRun(2), train: { ...train, config: { ...config, batchSize: 128 } } }, { dataDir: '/d', manifest });
  checkScaleInputs([], [{ path: 'one.json', result: at(256) }, { path: 'dp.json', result: dp128 }]);
  assert.throws(() => checkScaleInputs([], [{ path: 'one.json', result: at(128) }, { path: 'dp.json', result: dp128 }]), /batchSize differs/);
  assert.equal(dp.config.batchSize, 128);
});
