import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainModel, loadDataset, type InMemoryDataset, type TrainResult } from '../lib/train/index.ts';
import { tf } from '../lib/train/tf.ts';
import { isCaplabError } from '../lib/errors.ts';
import { tinyDataset, writeTinyDataset } from './helpers/tiny-dataset.ts';
import { BACKEND_NAME, testEachBackend, trainingBackends } from './helpers/backends.ts';

let ds: Awaited<ReturnType<typeof tinyDataset>>;
let data: InMemoryDataset;
const config = { hidden: [8, 4], epochs: 3, batchSize: 32, learningRate: 0.01 };

before(async () => {
  ds = await tinyDataset({ rows: { train: 300, validation: 80, test: 80 } });
  data = await loadDataset(ds.dir);
});
after(() => ds.cleanup());

/** The result without timings, which differ run to run. */
function stable(r: TrainResult) {
  return { ...r, seconds: 0, rowsPerSecond: 0, epochs: r.epochs.map((e) => ({ ...e, seconds: 0, rowsPerSecond: 0 })) };
}

testEachBackend('learns the tiny signal better than both naive baselines', async (backend) => {
  const r = await trainModel(data, { config: { ...config, epochs: 8 }, backend });
  assert.equal(r.backend, BACKEND_NAME[backend]);
  assert.equal(r.rows, 300);
  assert.equal(r.epochs.length, 8);
  for (const split of ['validation', 'test'] as const) {
    const m = r.metrics[split];
    assert.ok(m.mse < m.baselines.zero.mse && m.mse < m.baselines.trainMean.mse, `${split}: ${m.mse} vs baselines`);
    assert.ok(m.r2 > 0.2, `${split} R² ${m.r2}`);
  }
  assert.ok(r.epochs[7].loss < r.epochs[0].loss);
  assert.ok(r.rowsPerSecond > 0);
});

testEachBackend('gives identical results for the same seed, backend and data', async (backend) => {
  const c = { ...config, dropout: 0.3 };
  const a = await trainModel(ds.dir, { config: c, backend });
  const b = await trainModel(ds.dir, { config: c, backend });
  assert.deepEqual(stable(a), stable(b));
  const other = await trainModel(ds.dir, { config: { ...c, seed: 43 }, backend });
  assert.notEqual(other.metrics.test.mse, a.metrics.test.mse);
});

test('is deterministic on the cpu backend too, and reports it', async () => {
  const a = await trainModel(data, { config: { ...config, epochs: 2 }, backend: 'cpu' });
  const b = await trainModel(data, { config: { ...config, epochs: 2 }, backend: 'cpu' });
  assert.equal(a.backend, 'cpu');
  assert.deepEqual(stable(a), stable(b));
});

testEachBackend('picks the epoch with the lowest validation loss and reports metrics from its weights', async (backend) => {
  const r = await trainModel(data, { config: { ...config, epochs: 6, learningRate: 0.05 }, backend });
  const losses = r.epochs.map((e) => e.valLoss);
  assert.equal(r.bestEpoch, losses.indexOf(Math.min(...losses)) + 1);
  // valLoss is MSE on standardized targets, so the best epoch's value times the train variance
  // of y is the validation MSE in original units.
  let mean = 0;
  for (const v of data.train.y) mean += v;
  mean /= data.train.rows;
  let variance = 0;
  for (const v of data.train.y) variance += (v - mean) ** 2;
  variance /= data.train.rows;
  const expected = losses[r.bestEpoch - 1] * variance;
  assert.ok(Math.abs(r.metrics.validation.mse - expected) / expected < 1e-4, `${r.metrics.validation.mse} vs ${expected}`);
});

test('never lets the test split influence training', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'caplab-train-'));
  try {
    // Same seed for train and validation rows, different test rows (generated last).
    await writeTinyDataset(dir, { rows: { train: 300, validation: 80, test: 40 } });
    const a = await trainModel(data, { config, backend: 'wasm' });
    const b = await trainModel(dir, { config, backend: 'wasm' });
    assert.deepEqual(b.epochs.map((e) => [e.loss, e.valLoss]), a.epochs.map((e) => [e.loss, e.valLoss]));
    assert.deepEqual(b.metrics.validation, a.metrics.validation);
    assert.notDeepEqual(b.metrics.test, a.metrics.test);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('fits scaling on the train split only: changing validation data leaves training losses unchanged', async () => {
  const shifted: InMemoryDataset = {
    ...data,
    validation: { ...data.validation, x: data.validation.x.map((v) => v * 3 + 100), y: data.validation.y.map((v) => v + 1) },
  };
  const a = await trainModel(data, { config, backend: 'wasm' });
  const b = await trainModel(shifted, { config, backend: 'wasm' });
  assert.deepEqual(b.epochs.map((e) => e.loss), a.epochs.map((e) => e.loss));
  assert.notDeepEqual(b.epochs.map((e) => e.valLoss), a.epochs.map((e) => e.valLoss));
  // The caller's arrays are not modified by training.
  assert.deepEqual(await loadDataset(ds.dir).then((d) => d.train.x), data.train.x);
});

test('stops after the epoch where onEpoch says stop, with metrics from the best epoch so far', async () => {
  const seen: number[] = [];
  const r = await trainModel(data, {
    config: { ...config, epochs: 10 },
    backend: 'wasm',
    onEpoch: (e) => {
      seen.push(e.epoch);
      return e.epoch === 2 ? 'stop' : undefined;
    },
  });
  assert.deepEqual(seen, [1, 2]);
  assert.equal(r.epochs.length, 2);
  assert.equal(r.stoppedEarly, true);
  assert.match(r.stoppedReason ?? '', /onEpoch/);
  assert.ok(r.bestEpoch >= 1 && r.bestEpoch <= 2);
  assert.ok(Number.isFinite(r.metrics.test.mse));
});

test('stops after the current epoch when the signal aborts', async () => {
  const controller = new AbortController();
  const events: string[] = [];
  const r = await trainModel(data, {
    config: { ...config, epochs: 10 },
    backend: 'wasm',
    signal: controller.signal,
    onProgress: (e) => {
      events.push(e.kind);
      if (e.kind === 'epoch' && e.epoch === 1) controller.abort();
    },
  });
  assert.equal(r.epochs.length, 1);
  assert.equal(r.stoppedEarly, true);
  assert.match(r.stoppedReason ?? '', /abort/);
  assert.deepEqual(events, ['epoch']);
});

test('caps the steps per epoch with maxSteps', async () => {
  const r = await trainModel(data, { config: { ...config, epochs: 2 }, backend: 'wasm', maxSteps: 2 });
  assert.deepEqual(r.epochs.map((e) => e.rows), [64, 64]);
  assert.equal(r.rows, 300);
});

testEachBackend('streamed training with one train shard matches in-memory training exactly', async (backend) => {
  const one = await tinyDataset({ rows: { train: 300, validation: 80, test: 80 }, shardRows: 300 });
  try {
    const a = await trainModel(one.dir, { config, backend });
    const b = await trainModel(one.dir, { config, backend, streamed: true });
    assert.deepEqual(stable(b), stable(a));
  } finally {
    await one.cleanup();
  }
});

test('streamed training over several shards learns too', async () => {
  const r = await trainModel(ds.dir, { config: { ...config, epochs: 8 }, backend: 'wasm', streamed: true });
  assert.equal(r.rows, 300);
  assert.ok(r.metrics.test.mse < r.metrics.test.baselines.zero.mse);
  assert.deepEqual(r.epochs.map((e) => e.rows), new Array(8).fill(300));
});

testEachBackend('reports divergence instead of returning NaN metrics', async (backend) => {
  // A linear model under plain SGD with a step far past 2/λ of the standardized features' loss
  // curvature: each step multiplies the error, so the loss overflows within a few epochs.
  const r = await trainModel(data, { config: { ...config, hidden: [], optimizer: 'sgd', learningRate: 5, epochs: 10 }, backend });
  assert.equal(r.stoppedEarly, true, 'training did not diverge');
  const at = Number(/^diverged at epoch (\d+)/.exec(r.stoppedReason ?? '')?.[1]);
  assert.equal(at, r.epochs.length, r.stoppedReason);
  assert.ok(at < 10);
  assert.ok(!Number.isFinite(r.epochs[at - 1].loss) || !Number.isFinite(r.epochs[at - 1].valLoss));
  assert.ok(Number.isFinite(r.epochs[r.bestEpoch - 1].valLoss));
  assert.ok(Number.isFinite(r.metrics.validation.mse) && Number.isFinite(r.metrics.test.mse));
});

test('rejects streamed training of an already loaded dataset, and bad options', async () => {
  await assert.rejects(trainModel(data, { streamed: true }), (e: unknown) => isCaplabError(e, 'bad-config'));
  await assert.rejects(trainModel(data, { maxSteps: 0 }), (e: unknown) => isCaplabError(e, 'bad-config'));
  await assert.rejects(trainModel(data, { config: { epochs: 0 } }), (e: unknown) => isCaplabError(e, 'bad-config') && /"epochs"/.test(e.message));
});

test('leaks no tensors when training, in memory or streamed, on every backend', async () => {
  const backends = [...trainingBackends, 'cpu'] as const;
  // Warm up each backend so its own one-time tensors are not counted.
  for (const backend of backends) await trainModel(data, { config: { ...config, epochs: 1 }, backend });
  for (const backend of backends) {
    const before = tf.memory().numTensors;
    await trainModel(data, { config: { ...config, epochs: 2, dropout: 0.1 }, backend });
    await trainModel(ds.dir, { config: { ...config, epochs: 1, optimizer: 'rmsprop' }, backend, streamed: true });
    await trainModel(data, { config: { ...config, epochs: 3 }, backend, onEpoch: () => 'stop' });
    assert.equal(tf.memory().numTensors, before, backend);
  }
});
