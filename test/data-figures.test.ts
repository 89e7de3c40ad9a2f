import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pricePathsFigure, returnHistogramFigure, correlationHeatmapFigure, scaleBytesFigure, syntheticPrices, featureCorrelation } from '../lib/index.ts';

test('price paths become one rebased line per ticker, dates on x', () => {
  const p = syntheticPrices({ tickers: 3, days: 30, seed: 1 });
  const f = pricePathsFigure(p);
  assert.equal(f.data.length, 3);
  assert.deepEqual(f.data.map((t) => t.name), ['SYN00000', 'SYN00001', 'SYN00002']);
  assert.equal((f.data[0].x as string[]).length, 30 + 61);
  assert.equal((f.data[0].y as number[])[0], 1);
  assert.deepEqual(JSON.parse(JSON.stringify(f)), f, 'figures are plain JSON');
});

test('the return histogram overlays a normal curve with the sample mean and sd', () => {
  const f = returnHistogramFigure([-2, -1, 0, 0, 1, 2, 10]);
  assert.equal(f.data[0].type, 'histogram');
  assert.equal(f.data[1].name, 'normal, same mean and sd');
  assert.match(String((f.layout?.title as { text: string }).text), /n = 7/);
});

test('the correlation heatmap is square and labelled with feature names', () => {
  const c = featureCorrelation({ features: ['a', 'b'], target: 't', x: [[1, 2], [2, 4], [3, 7]], y: [3, 2, 1] });
  const f = correlationHeatmapFigure(c);
  assert.deepEqual(f.data[0].x, ['a', 'b', 't']);
  assert.equal((f.data[0].z as number[][]).length, 3);
  assert.equal((f.data[0].z as number[][])[0][2], -1);
});

test('the size-by-scale figure plots MB and rows against scale in scale order', () => {
  const f = scaleBytesFigure([{ scale: 2, bytes: 2e6, rows: 20 }, { scale: 1, bytes: 1e6, rows: 10, seconds: 0.5 }]);
  assert.deepEqual(f.data[0].x, ['1×', '2×']);
  assert.deepEqual(f.data[0].y, [1, 2]);
  assert.deepEqual(f.data[1].y, [10, 20]);
  assert.equal(f.data[1].yaxis, 'y2');
});
