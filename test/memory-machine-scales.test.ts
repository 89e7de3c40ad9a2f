import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkDiskForScales, machineScales, probeScalePlan } from '../lib/memory/machine-scales.ts';
import { fitMemory } from '../lib/memory/fit.ts';
import { freeBytes } from '../lib/util/disk.ts';
import { PRESETS } from '../lib/presets.ts';
import { isCaplabError } from '../lib/errors.ts';
import type { ProbeReport } from '../lib/memory/probe.ts';

const GiB = 1024 ** 3;

/** A calibration of 1× and 10× (126 000 rows per 1×) on a machine with `budget` bytes, memory = 300 MiB + 400 B/row. */
function calibration(budget: number, perRow = 400): ProbeReport {
  const rows1 = 126_000;
  const runs = [1, 10].map((scale) => ({ scale, outcome: 'ok' as const, rows: rows1 * scale, features: 18, peakBytes: 300 * 2 ** 20 + perRow * rows1 * scale, seconds: 1 }));
  const fit = fitMemory(runs.map((r) => ({ rows: r.rows, peakBytes: r.peakBytes })), 18)!;
  const maxRows = (budget - fit.fixedBytes) / fit.perRowBytes;
  return {
    kind: 'caplab-memory-probe', schemaVersion: 1, createdAt: '', budgetBytes: budget, budgetSource: '/proc/meminfo MemAvailable', heapLimitMiB: null, steps: 100,
    tickers: 100, days: 1260, runs, fit, largestOkScale: 10, predictedMaxScale: perRow > 0 ? maxRows / rows1 : null, maxPodBytes: 4 * GiB, plan: [],
    provenance: { executor: 'sequential', host: 'h' } as ProbeReport['provenance'], seconds: 2,
  };
}

test('the full preset grows the data to about twice what this machine is predicted to hold', () => {
  for (const budget of [2 * GiB, 24 * GiB, 256 * GiB]) {
    const c = calibration(budget);
    const m = machineScales(c);
    const predicted = c.predictedMaxScale!;
    const largest = m.scales.at(-1)!;
    assert.deepEqual(m.scales.slice(0, 2), [1, 10]);
    assert.ok(largest >= 2 * predicted && largest < 2.2 * predicted, `largest ${largest} vs predicted ${predicted}`);
    assert.ok(m.scales.slice(0, -1).every((s) => s <= predicted), `every smaller scale fits: ${m.scales}`);
    assert.deepEqual([...m.scales].sort((a, b) => a - b), m.scales);
    assert.match(m.text, /cannot fit/);
  }
});

test('a bigger machine gets bigger scales', () => {
  const small = machineScales(calibration(4 * GiB)).scales.at(-1)!;
  const big = machineScales(calibration(64 * GiB)).scales.at(-1)!;
  assert.ok(big > 10 * small, `${small} → ${big}`);
});

test('the disk estimate counts every scale\'s dataset', () => {
  const m = machineScales(calibration(8 * GiB));
  const rows = m.scales.reduce((a, s) => a + s * 126_000, 0);
  assert.equal(m.diskBytes, rows * 84);
});

test('without a prediction the choice is refused with what to do', () => {
  assert.throws(() => machineScales(calibration(8 * GiB, 0)), (e) => isCaplabError(e) && /predicts no largest scale/.test(e.message) && /Calibrate/.test(e.hint ?? ''));
});

test('a disk that cannot hold the largest datasets is refused up front, saying how much they need', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'caplab-scales-'));
  try {
    const free = (await freeBytes(dir))!;
    const m = machineScales(calibration(8 * GiB));
    await checkDiskForScales(dir, { ...m, diskBytes: Math.floor(free / 2) });
    await assert.rejects(checkDiskForScales(dir, { ...m, diskBytes: free * 2 }), (e) => isCaplabError(e) && e.code === 'disk-space' && /need about/.test(e.message) && /quick preset/.test(e.hint ?? ''));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('only the full preset takes its limit from this machine; tiny and quick say theirs is a stand-in', () => {
  assert.deepEqual(Object.values(PRESETS).map((p) => [p.name, p.limit]), [['tiny', 'stand-in'], ['quick', 'stand-in'], ['full', 'machine']]);
});

test("notebook 02's probe plan: full probes this machine's own scales under its own memory; quick keeps its scales under a labelled stand-in budget", async () => {
  const root = await mkdtemp(join(tmpdir(), 'caplab-plan-'));
  try {
    const c = calibration(2 * GiB);
    const full = await probeScalePlan(PRESETS.full, c, root);
    assert.equal(full.limit, 'machine');
    assert.equal(full.budgetBytes, undefined, 'the probe falls back to this machine\'s memory');
    assert.deepEqual(full.scales, machineScales(c).scales);
    assert.match(full.text, /own limit/);
    const quick = await probeScalePlan(PRESETS.quick, c, root);
    assert.equal(quick.limit, 'stand-in');
    assert.deepEqual(quick.scales, PRESETS.quick.scales);
    assert.ok(quick.budgetBytes !== undefined && quick.budgetBytes > 0);
    assert.match(quick.text, /stand-in budget .* not this machine's limit/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
