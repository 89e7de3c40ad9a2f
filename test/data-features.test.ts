import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeFeatures, featureScratch, FEATURE_COUNT, FEATURE_NAMES, WARMUP } from '../lib/data/features.ts';
import { allocSeries, marketFactors, simulateTicker, type OhlcvSeries } from '../lib/data/market.ts';
import { splitRanges, dateSplit } from '../lib/data/split.ts';

function series(n: number, index = 0, seed = 3): OhlcvSeries {
  const s = allocSeries(n);
  simulateTicker(seed, index, marketFactors(seed, n), s);
  return s;
}

function rows(s: OhlcvSeries) {
  const count = s.n - 1 - WARMUP;
  const x = new Float32Array(count * FEATURE_COUNT);
  const y = new Float32Array(count);
  computeFeatures(s, WARMUP, s.n - 1, x, y, 0, featureScratch());
  return { x, y, count };
}

function clone(s: OhlcvSeries): OhlcvSeries {
  return { n: s.n, open: s.open.slice(), high: s.high.slice(), low: s.low.slice(), close: s.close.slice(), volume: s.volume.slice(), day: s.day.slice() };
}

test('a row\'s features do not change when any later price or volume changes (no look-ahead)', () => {
  const base = series(160);
  const before = rows(base);
  for (const cut of [WARMUP, WARMUP + 1, 100, 158]) {
    const changed = clone(base);
    for (let t = cut + 1; t < changed.n; t++) {
      changed.close[t] *= 1.5 + (t % 3);
      changed.open[t] *= 0.5;
      changed.high[t] *= 3;
      changed.low[t] *= 0.2;
      changed.volume[t] = changed.volume[t] * 10 + 7;
    }
    const after = rows(changed);
    for (let r = 0; r <= cut - WARMUP; r++) {
      const a = before.x.subarray(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT);
      const b = after.x.subarray(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT);
      assert.deepEqual(b, a, `row of day ${WARMUP + r} changed after perturbing days > ${cut}`);
    }
    // Only the target of the day just before the change sees it: it is the next-day return.
    const last = cut - WARMUP;
    if (last >= 0 && last < before.count) assert.notEqual(after.y[last], before.y[last]);
    for (let r = 0; r < last; r++) assert.equal(after.y[r], before.y[r]);
  }
});

test('the target is the next day\'s log return in percent and ret_1 is today\'s', () => {
  const s = series(100);
  const { x, y } = rows(s);
  const t = WARMUP + 5;
  const r = t - WARMUP;
  assert.ok(Math.abs(y[r] - 100 * Math.log(s.close[t + 1] / s.close[t])) < 1e-4);
  assert.ok(Math.abs(x[r * FEATURE_COUNT + FEATURE_NAMES.indexOf('ret_1')] - 100 * Math.log(s.close[t] / s.close[t - 1])) < 1e-4);
  assert.equal(x[(r + 1) * FEATURE_COUNT + FEATURE_NAMES.indexOf('ret_1_lag1')], x[r * FEATURE_COUNT]);
});

test('every feature is finite, including on flat prices and constant volume', () => {
  const s = series(120);
  const flat = clone(s);
  flat.open.fill(10);
  flat.high.fill(10);
  flat.low.fill(10);
  flat.close.fill(10);
  flat.volume.fill(0);
  for (const v of [s, flat]) {
    const { x, y } = rows(v);
    assert.ok(x.every(Number.isFinite) && y.every(Number.isFinite));
  }
});

test('rows whose target crosses a split boundary are left out of both splits', () => {
  const day = Int32Array.from({ length: 200 }, (_, i) => i);
  const split = dateSplit(WARMUP, 199);
  const r = splitRanges(day, 200, split);
  assert.equal(r.train[0], WARMUP);
  assert.equal(r.train[1], split.validationStart - 1); // last train row's target is day validationStart − 1
  assert.equal(r.validation[0], split.validationStart);
  assert.equal(r.validation[1], split.testStart - 1);
  assert.equal(r.test[0], split.testStart);
  assert.equal(r.test[1], 199);
});

test('a ticker with gaps in the calendar is split by its own dates', () => {
  // Trades every other day: its next trading day is two calendar days on.
  const day = Int32Array.from({ length: 150 }, (_, i) => 2 * i);
  const split = dateSplit(2 * WARMUP, 2 * 149);
  const r = splitRanges(day, 150, split);
  for (let t = r.train[0]; t < r.train[1]; t++) assert.ok(day[t + 1] < split.validationStart);
  for (let t = r.validation[0]; t < r.validation[1]; t++) assert.ok(day[t] >= split.validationStart && day[t + 1] < split.testStart);
  for (let t = r.test[0]; t < r.test[1]; t++) assert.ok(day[t] >= split.testStart);
  assert.ok(r.train[1] <= r.validation[0] && r.validation[1] <= r.test[0]);
});

test('a ticker is the same series whichever other tickers are generated with it', () => {
  const f = marketFactors(9, 120);
  const a = allocSeries(120);
  const b = allocSeries(120);
  simulateTicker(9, 41, f, a);
  simulateTicker(9, 3, f, b); // reuse of working memory must not leak between tickers
  simulateTicker(9, 41, f, b);
  assert.deepEqual(b.close, a.close);
  assert.deepEqual(b.volume, a.volume);
});
