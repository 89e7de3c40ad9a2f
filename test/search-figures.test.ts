import { test } from 'node:test';
import assert from 'node:assert/strict';
import { localProvenance } from '../lib/provenance.ts';
import {
  searchCurvesFigure,
  searchLossFigure,
  searchParallelFigure,
  searchSpeedupFigure,
  searchSpeedups,
  searchTable,
  searchTimelineFigure,
  trialLabel,
} from '../lib/report/search-figures.ts';
import { defaultSearchSpace, expandSearchSpace, type TrialRecord } from '../lib/search/index.ts';

const trials = expandSearchSpace(defaultSearchSpace('tiny')).slice(0, 4);
const t0 = Date.parse('2026-01-01T00:00:00Z');
const metric = (mse: number) => {
  const m = { rows: 10, mse, rmse: Math.sqrt(mse), mae: mse, r2: 0, directionalAccuracy: 0.5 };
  return { ...m, baselines: { zero: { ...m, mse: 2 }, trainMean: m } };
};
const records: TrialRecord[] = trials.map((t, i) => ({
  trialId: t.id,
  status: i === 3 ? 'failed' : i === 2 ? 'stopped' : 'ok',
  ...(i === 3 ? { failure: 'oom', reason: 'killed by SIGKILL' } : { metrics: { validation: metric(1 + i), test: metric(1) } }),
  config: t.config,
  epochs: i === 3 ? [] : [{ epoch: 1, valLoss: 1 + i }, { epoch: 2, valLoss: 0.5 + i }],
  seconds: 1,
  worker: `pool-${i % 2}`,
  startedAt: new Date(t0 + Math.floor(i / 2) * 1000).toISOString(),
  finishedAt: new Date(t0 + Math.floor(i / 2) * 1000 + 1000).toISOString(),
  provenance: localProvenance('pool'),
}));

test('labels a config by its units, learning rate and batch size', () => {
  assert.equal(trialLabel({ ...trials[0].config, hidden: [128], learningRate: 1e-3, batchSize: 32 }), 'h128 · lr 1e-3 · b32');
  assert.equal(trialLabel({ ...trials[0].config, hidden: [64, 32], learningRate: 0.00234, batchSize: 16 }), 'h64-32 · lr 2.3e-3 · b16');
});

test('the timeline has one lane per worker and run, bars from each trial’s start, coloured by status', () => {
  const fig = searchTimelineFigure([{ label: 'pool', records }, { label: 'sequential', records: records.map((r) => ({ ...r, worker: 'seq-0' })) }]);
  const lanes = new Set(fig.data.flatMap((t) => t.y as string[]));
  assert.deepEqual([...lanes].sort(), ['pool · pool-0', 'pool · pool-1', 'sequential · seq-0']);
  assert.deepEqual(fig.data.map((t) => t.name).sort(), ['failed', 'ok', 'stopped']);
  const ok = fig.data.find((t) => t.name === 'ok')!;
  assert.deepEqual(ok.base, [0, 0, 0, 0]);
  assert.deepEqual(ok.x, [1, 1, 1, 1]);
  assert.equal(searchTimelineFigure(records).data.length, 3, 'a plain records array works too');
});

test('the loss, parallel-coordinates and curve figures show the scored trials', () => {
  const loss = searchLossFigure(records);
  assert.deepEqual(loss.data[0].y, [1, 2, 3]);
  assert.equal(loss.data[1].name, 'predict zero return');
  const par = searchParallelFigure(records);
  const dims = par.data[0].dimensions as Array<{ label: string; values: number[] }>;
  assert.deepEqual(dims.map((d) => d.label), ['hidden units', 'log10 learning rate', 'batch size', 'validation MSE']);
  assert.deepEqual(dims[1].values, [-4, -4, -4]);
  const curves = searchCurvesFigure(records);
  assert.equal(curves.data.length, 3);
  assert.equal((curves.data[2].line as { dash: string }).dash, 'dash');
  assert.equal(searchTable(records)[3].status, 'failed (oom)');
});

test('speedup is baseline time over run time, beside the ideal core count', () => {
  const [s] = searchSpeedups({ label: 'sequential', seconds: 10, workers: 1 }, [{ label: 'pool', seconds: 6.25, workers: 2 }], 2);
  assert.deepEqual(s, { label: 'pool', seconds: 6.25, workers: 2, speedup: 1.6, ideal: 2, efficiency: 0.8 });
  const fig = searchSpeedupFigure({ label: 'sequential', seconds: 10, workers: 1 }, [{ label: 'pool', seconds: 6.25, workers: 2 }], 2);
  assert.deepEqual(fig.data.map((t) => t.y), [[1.6], [2]]);
});
