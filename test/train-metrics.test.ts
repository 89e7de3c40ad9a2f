import { test } from 'node:test';
import assert from 'node:assert/strict';
import { regressionMetrics, metricsWithBaselines } from '../lib/train/metrics.ts';
import { fitStandardization, standardization } from '../lib/train/scaling.ts';
import { statsAccumulator } from '../lib/data/stats.ts';

const close = (a: number, b: number, eps = 1e-12) => assert.ok(Math.abs(a - b) <= eps, `${a} ≠ ${b}`);

test('computes MSE, RMSE, MAE, R² and directional accuracy as worked out by hand', () => {
  // errors 1, 1, −4, 5 → SSE 43; mean(y) = 0.5 → SST 13; signs agree on 2 of the 3 non-zero targets.
  const m = regressionMetrics([1, -2, 3, 0], [2, -1, -1, 5]);
  assert.equal(m.rows, 4);
  close(m.mse, 43 / 4);
  close(m.rmse, Math.sqrt(43 / 4));
  close(m.mae, 11 / 4);
  close(m.r2, 1 - 43 / 13);
  close(m.directionalAccuracy, 2 / 3);
});

test('scores a constant zero prediction as a coin flip on direction', () => {
  const m = regressionMetrics([1, -2, 3, 0], 0);
  close(m.mse, 14 / 4);
  close(m.mae, 6 / 4);
  close(m.r2, 1 - 14 / 13);
  close(m.directionalAccuracy, 0.5);
});

test('gives a perfect prediction R² 1 and full directional accuracy', () => {
  const m = regressionMetrics(new Float32Array([0.5, -0.25, 2]), new Float32Array([0.5, -0.25, 2]));
  assert.equal(m.mse, 0);
  assert.equal(m.r2, 1);
  assert.equal(m.directionalAccuracy, 1);
});

test('reports the zero and training-mean baselines beside the model', () => {
  const y = [1, -2, 3, 0];
  const m = metricsWithBaselines(y, [2, -1, -1, 5], 0.25);
  close(m.baselines.zero.mse, 14 / 4);
  // (0.75² + 2.25² + 2.75² + 0.25²) / 4
  close(m.baselines.trainMean.mse, (0.5625 + 5.0625 + 7.5625 + 0.0625) / 4);
  // a positive constant calls "up" everywhere: right on targets 1 and 3
  close(m.baselines.trainMean.directionalAccuracy, 2 / 3);
  close(m.mse, 43 / 4);
});

test('rejects predictions of the wrong length', () => {
  assert.throws(() => regressionMetrics([1, 2], [1]), /1 predictions for 2 targets/);
});

test('merges shard statistics into the same mean and std as one pass', () => {
  const width = 3;
  const rows = 50;
  const x = Float32Array.from({ length: rows * width }, (_, i) => Math.sin(i) * (1 + (i % width)) + 1000);
  const y = Float32Array.from({ length: rows }, (_, i) => Math.cos(i) * 0.01);
  const whole = fitStandardization(x, y, rows, width);
  const acc = statsAccumulator(width);
  acc.add(x, y, 0, 17);
  acc.add(x, y, 17, rows);
  const merged = standardization(acc.result());
  for (let k = 0; k < width; k++) {
    close(merged.xMean[k], whole.xMean[k], 1e-9);
    close(merged.xStd[k], whole.xStd[k], 1e-9);
  }
  close(merged.yMean, whole.yMean, 1e-15);
  close(merged.yStd, whole.yStd, 1e-15);
  // Against a direct two-pass computation.
  let mean = 0;
  for (let i = 0; i < rows; i++) mean += x[i * width + 1];
  mean /= rows;
  let v = 0;
  for (let i = 0; i < rows; i++) v += (x[i * width + 1] - mean) ** 2;
  close(whole.xMean[1], mean, 1e-9);
  close(whole.xStd[1], Math.sqrt(v / rows), 1e-9);
});

test('maps a constant feature to zero instead of dividing by zero', () => {
  const s = fitStandardization(new Float32Array([5, 1, 5, 2, 5, 3]), new Float32Array([0, 0, 0]), 3, 2);
  assert.equal(s.xStd[0], 1);
  assert.equal(s.yStd, 1);
});
