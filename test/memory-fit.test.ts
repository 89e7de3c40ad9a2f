import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitMemory, maxRowsWithin, podPlan, predictMemory } from '../lib/memory/fit.ts';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

test('fits fixed plus per-row memory exactly on a straight line', () => {
  const pts = [1e5, 1e6, 5e6].map((rows) => ({ rows, peakBytes: 200 * MiB + 400 * rows }));
  const fit = fitMemory(pts, 31)!;
  assert.equal(fit.method, 'least-squares');
  assert.ok(Math.abs(fit.fixedBytes - 200 * MiB) < 1);
  assert.ok(Math.abs(fit.perRowBytes - 400) < 1e-6);
  assert.equal(fit.rawBytesPerRow, 128);
  assert.ok(Math.abs(fit.ratio - 400 / 128) < 1e-9);
  assert.ok(Math.abs(fit.r2 - 1) < 1e-12);
  assert.ok(Math.abs(predictMemory(fit, 2e6) - (200 * MiB + 800e6)) < 1);
});

test('pins the fixed part at zero when noise makes it negative', () => {
  const fit = fitMemory([{ rows: 100, peakBytes: 1000 }, { rows: 200, peakBytes: 3000 }], 1)!;
  assert.equal(fit.method, 'through-origin');
  assert.equal(fit.fixedBytes, 0);
  assert.ok(Math.abs(fit.perRowBytes - (100 * 1000 + 200 * 3000) / (100 ** 2 + 200 ** 2)) < 1e-9);
});

test('treats memory that does not grow with rows as all fixed', () => {
  const fit = fitMemory([{ rows: 100, peakBytes: 60 * MiB }, { rows: 200, peakBytes: 59 * MiB }], 3)!;
  assert.equal(fit.perRowBytes, 0);
  assert.equal(fit.fixedBytes, 60 * MiB);
  assert.equal(maxRowsWithin(fit, 100 * MiB), Infinity);
  assert.equal(maxRowsWithin(fit, 50 * MiB), 0);
});

test('gives an upper bound per row from a single run and nothing from none', () => {
  const fit = fitMemory([{ rows: 1000, peakBytes: 1e6 }], 3)!;
  assert.equal(fit.method, 'one-point');
  assert.equal(fit.perRowBytes, 1000);
  assert.equal(fitMemory([], 3), null);
});

test('finds the largest row count within a budget', () => {
  const fit = fitMemory([{ rows: 0.5e6, peakBytes: 100 * MiB + 0.5e6 * 500 }, { rows: 1e6, peakBytes: 100 * MiB + 1e6 * 500 }], 31)!;
  assert.equal(maxRowsWithin(fit, 100 * MiB + 500 * 1234), 1234);
});

test('plans 200x at ~9 GiB as 4 pods of 3Gi', () => {
  // 0.2 GiB fixed + 8.8 GiB of data: each of k pods holds 0.2 + 8.8/k GiB, plus 20% headroom:
  // 3 pods would need 3.76 GiB each, 4 pods 2.88 GiB → 3Gi.
  const rows = 25.2e6;
  const fit = { fixedBytes: 0.2 * GiB, perRowBytes: (8.8 * GiB) / rows, rawBytesPerRow: 128, ratio: 0, features: 31, points: 3, method: 'least-squares' as const, r2: 1 };
  const plan = podPlan(fit, rows, { maxPodBytes: 3 * GiB, headroom: 0.2 });
  assert.equal(plan.pods, 4);
  assert.equal(plan.podMemory, '3Gi');
  assert.ok(Math.abs(plan.needBytes - 9 * GiB) < 1);
  assert.ok(Math.abs(plan.podShareBytes! - (0.2 + 8.8 / 4) * GiB) < 1);
  assert.equal(plan.text, '~9 GiB → 4 pods × 3Gi');
});

test('plans one pod when the data fits one pod', () => {
  const fit = fitMemory([{ rows: 1000, peakBytes: 100 * MiB }, { rows: 2000, peakBytes: 110 * MiB }], 7)!;
  const plan = podPlan(fit, 2000, { maxPodBytes: 4 * GiB });
  assert.equal(plan.pods, 1);
  assert.equal(plan.podMemory, '160Mi');
  assert.equal(plan.text, '~110 MiB → 1 pod × 160Mi');
});

test('asks for the cap itself when rounding a pod up would pass it', () => {
  // 129 MiB fixed + 99 MiB of data, pods of at most 204 MiB: 3 pods need 202.5 MiB each.
  const fit = { fixedBytes: 129 * MiB, perRowBytes: (99 * MiB) / 1e6, rawBytesPerRow: 76, ratio: 0, features: 18, points: 3, method: 'least-squares' as const, r2: 1 };
  const plan = podPlan(fit, 1e6, { maxPodBytes: 204.3 * MiB });
  assert.equal(plan.pods, 3);
  assert.equal(plan.podMemory, '204Mi');
});

test('says there is no plan when the fixed part alone overflows a pod', () => {
  const fit = { fixedBytes: 3 * GiB, perRowBytes: 100, rawBytesPerRow: 128, ratio: 0, features: 31, points: 2, method: 'least-squares' as const, r2: 1 };
  const plan = podPlan(fit, 1e8, { maxPodBytes: 2 * GiB });
  assert.equal(plan.pods, null);
  assert.match(plan.text, /fixed part alone exceeds the pod size/);
});

test('more headroom or smaller pods mean more pods', () => {
  const fit = { fixedBytes: 0.25 * GiB, perRowBytes: 400, rawBytesPerRow: 128, ratio: 0, features: 31, points: 2, method: 'least-squares' as const, r2: 1 };
  const base = podPlan(fit, 2e7, { maxPodBytes: 4 * GiB }).pods!;
  assert.ok(podPlan(fit, 2e7, { maxPodBytes: 4 * GiB, headroom: 1 }).pods! > base);
  assert.ok(podPlan(fit, 2e7, { maxPodBytes: 2 * GiB }).pods! > base);
});
