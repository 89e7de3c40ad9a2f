import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lossCurveFigure, baselineComparisonFigure, throughputFigure, liveLossPlot } from '../lib/report/train-figures.ts';
import { regressionMetrics } from '../lib/train/metrics.ts';

const epochs = [
  { epoch: 1, loss: 0.9, valLoss: 0.8, rows: 10, seconds: 1, rowsPerSecond: 10 },
  { epoch: 2, loss: 0.7, valLoss: 0.6, rows: 10, seconds: 1, rowsPerSecond: 10 },
  { epoch: 3, loss: 0.5, valLoss: 0.65, rows: 10, seconds: 1, rowsPerSecond: 10 },
];

test('draws train and validation loss with the train-mean reference and the best epoch marked', () => {
  const f = lossCurveFigure(epochs);
  assert.deepEqual(f.data.map((t) => t.name), ['train loss', 'validation loss', 'predict the train mean (= 1)', 'best epoch (2)']);
  assert.deepEqual(f.data[1].y, [0.8, 0.6, 0.65]);
  assert.deepEqual(f.data[2].y, [1, 1]);
  assert.deepEqual(f.data[3].x, [2]);
});

test('compares the model with both baselines on validation and test', () => {
  const m = { ...regressionMetrics([1, 2], [1, 2]), baselines: { zero: regressionMetrics([1, 2], 0), trainMean: regressionMetrics([1, 2], 1) } };
  const f = baselineComparisonFigure({ validation: m, test: m }, { metric: 'mae' });
  assert.deepEqual(f.data.map((t) => t.y), [[0, 0], [1.5, 1.5], [0.5, 0.5]]);
});

test('labels throughput bars with the caplab/peer ratio', () => {
  const f = throughputFigure([{ label: '64-32 @256', caplabRowsPerSecond: 100, peerRowsPerSecond: 400 }, { label: '256 @16', caplabRowsPerSecond: 50 }]);
  assert.deepEqual(f.data[0].text, ['0.25×', '']);
  assert.deepEqual(f.data[1].y, [400, null]);
});

test('a live loss plot counts an epoch once whether it comes from onEpoch or onProgress', () => {
  const plot = liveLossPlot();
  plot.onEpoch(epochs[0]);
  plot.onProgress({ kind: 'epoch', epoch: 1, epochs: 3, loss: 0.9, valLoss: 0.8, seconds: 1 });
  plot.onProgress({ kind: 'message', text: 'ignored' });
  plot.onEpoch(epochs[1]);
  assert.deepEqual(plot.epochs.map((e) => e.epoch), [1, 2]);
});
