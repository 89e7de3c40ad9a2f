import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryProbeFigure } from '../lib/report/memory-figures.ts';
import { demoBudget } from '../lib/memory/demo-budget.ts';
import { fitMemory } from '../lib/memory/fit.ts';
import { formatProbeReport, probePlanTable, probeRunTable } from '../lib/memory/summary.ts';
import { localProvenance } from '../lib/provenance.ts';
import type { ProbeReport, ProbeRun } from '../lib/memory/probe.ts';

const MiB = 1024 ** 2;
const peak = (rows: number) => 130 * MiB + 80 * rows;

function report(runs: ProbeRun[], budgetBytes = 200 * MiB): ProbeReport {
  const ok = runs.filter((r) => r.outcome === 'ok').map((r) => ({ rows: r.rows!, peakBytes: r.peakBytes! }));
  return {
    kind: 'caplab-memory-probe', schemaVersion: 1, createdAt: '2026-11-30T00:00:00.000Z',
    budgetBytes, budgetSource: 'budget 200MiB', heapLimitMiB: null, steps: 100, tickers: 100, days: 1260,
    runs, fit: fitMemory(ok, 18), largestOkScale: 5, predictedMaxScale: 7.2, maxPodBytes: budgetBytes,
    plan: [], provenance: localProvenance('sequential', 'wasm'), seconds: 3,
  };
}

const run = (scale: number, outcome: ProbeRun['outcome'], extra: Partial<ProbeRun> = {}): ProbeRun => ({
  scale, outcome, rows: scale * 125800, features: 18, peakBytes: outcome === 'ok' ? peak(scale * 125800) : null, seconds: 1, ...extra,
});

const sample = () =>
  report([run(1, 'ok'), run(2, 'ok'), run(5, 'ok'), run(10, 'over-budget', { peakBytes: 201 * MiB }), run(20, 'skipped', { rowsEstimated: true })]);

test('draws ok peaks, the failure at its peak, the skipped scale, budget, fit and raw floor', () => {
  const fig = memoryProbeFigure(sample());
  const names = fig.data.map((t) => String(t.name));
  assert.deepEqual(names.map((n) => n.split(/[:\s]/)[0]), ['peak', 'failed', 'not', 'budget', 'fit', 'raw']);
  const okTrace = fig.data[0];
  assert.deepEqual(okTrace.x, [125800, 251600, 629000]);
  assert.deepEqual(fig.data[1].y, [201]);
  assert.deepEqual(fig.data[1].text, ['10× over-budget']);
  assert.deepEqual(fig.data[3].y, [200, 200]);
  const fit = fig.data[4] as { x: number[]; y: number[] };
  // The fitted line passes through the synthetic points.
  assert.ok(Math.abs(fit.y[0] - peak(fit.x[0]) / MiB) < 0.01);
  const raw = fig.data[5] as { x: number[]; y: number[] };
  assert.ok(Math.abs(raw.y.at(-1)! - (76 * raw.x.at(-1)!) / MiB) < 0.01);
  assert.equal((fig.layout!.xaxis as { type: string }).type, 'log');
  assert.match(String((fig.layout!.yaxis as { title: { text: string } }).title.text), /MiB/);
});

test('draws a probe where nothing ran within the budget without a fit', () => {
  const r = report([run(1, 'over-budget', { peakBytes: 70 * MiB }), run(2, 'skipped')], 64 * MiB);
  const fig = memoryProbeFigure(r);
  assert.deepEqual(fig.data.map((t) => String(t.name).split(' ')[0]), ['peak', 'failed', 'budget']);
  assert.match(formatProbeReport(r), /no fit/);
});

test('tables list every run and the plan', () => {
  const r = sample();
  const t = probeRunTable(r);
  assert.equal(t.length, 5);
  assert.equal(t[3].outcome, 'over-budget');
  assert.equal(t[4].rows, '~2,516,000');
  assert.deepEqual(probePlanTable(r), []);
});

test('picks a demo budget between the two largest scales', () => {
  const calib = report([run(1, 'ok'), run(2, 'ok')], 20 * 1024 * MiB);
  const b = demoBudget(calib, [1, 2, 5, 10]);
  const at5 = peak(5 * 125800);
  const at10 = peak(10 * 125800);
  assert.ok(Math.abs(b.bytes - (at5 + at10) / 2) < 2);
  assert.match(b.text, /5× and 10×/);
});

test('picks a budget under the fixed part when the data is too small to separate scales', () => {
  const tiny = (s: number): ProbeRun => ({ ...run(s, 'ok'), rows: s * 1264, peakBytes: 120 * MiB + s * 1264 * 80 });
  const b = demoBudget(report([tiny(1), tiny(2)], 20 * 1024 * MiB), [1, 2, 4]);
  assert.ok(b.bytes >= 48 * MiB && b.bytes <= 60 * MiB + 1, String(b.bytes));
  assert.match(b.text, /every scale fails/);
});
