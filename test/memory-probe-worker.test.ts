/** The probe with the real `caplab worker` child: generated data, real training, real failures. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProbe } from '../lib/memory/probe.ts';

const MiB = 1024 ** 2;

test('generates missing datasets, then loads and trains each in a worker child', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'caplab-probe-real-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const events: string[] = [];
  const r = await runProbe({
    scales: [1, 2], tickers: 4, days: 120, steps: 5, budget: '2GiB', dataRoot: dir,
    onProgress: (e) => void (e.kind === 'probe-scale' && events.push(`${e.scale}:${e.status}`)),
  });
  assert.deepEqual(r.runs.map((x) => x.outcome), ['ok', 'ok'], JSON.stringify(r.runs.map((x) => x.reason)));
  assert.deepEqual((await readdir(dir)).sort(), ['x1-t4-d120-s42', 'x2-t4-d120-s42']);
  assert.equal(r.runs[1].rows, 2 * r.runs[0].rows!);
  assert.ok(r.runs[0].features! > 0);
  for (const run of r.runs) assert.ok(run.peakBytes! > 40 * MiB && run.peakBytes! < 600 * MiB, `peak ${run.peakBytes}`);
  assert.ok(r.provenance.backend, 'backend recorded');
  assert.ok(events.includes('1:preparing') && events.includes('2:ok'));
  // A second probe reuses the datasets it made.
  const again = await runProbe({ scales: [1], tickers: 4, days: 120, steps: 1, budget: '2GiB', dataRoot: dir });
  assert.equal(again.runs[0].outcome, 'ok');
});

test('a worker that cannot allocate its dataset ends as oom alloc, not a crash', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'caplab-probe-huge-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // A manifest that promises 2^36 rows: the loader's one Float32Array per split cannot be had.
  const rows = 2 ** 36;
  const file = (f: string) => ({ file: f, sha256: '0'.repeat(64), bytes: 0 });
  const manifest = {
    schemaVersion: 1, kind: 'caplab-dataset', source: { type: 'synthetic', seed: 1, scale: 1, tickers: 1, days: 1 },
    features: ['a', 'b', 'c'], target: 'ret', rows: { train: rows, validation: 0, test: 0, total: rows },
    split: { firstDate: '2020-01-01', validationStart: '2020-01-02', testStart: '2020-01-03', lastDate: '2020-01-04' },
    shards: [{ split: 'train', rows, x: file('x.npy'), y: file('y.npy') }], bytes: 0, createdAt: '2026-11-30T00:00:00Z',
    generator: { name: 'test', version: '1' },
  };
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
  const r = await runProbe({ scales: [1], budget: '2GiB', prepare: async () => ({ dir, rows, features: 3 }) });
  const run = r.runs[0];
  assert.equal(run.outcome, 'oom', run.reason);
  assert.equal(run.oom, 'alloc');
  assert.equal(run.exitCode, 71);
});

test('a worker under a tiny JS heap limit dies of a V8 heap OOM and later scales are skipped', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'caplab-probe-heap-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const r = await runProbe({ scales: [1, 2], tickers: 4, days: 120, steps: 5, budget: '2GiB', dataRoot: dir, heapLimitMiB: 16 });
  assert.equal(r.runs[0].outcome, 'oom', r.runs[0].reason);
  assert.equal(r.runs[0].oom, 'heap');
  assert.equal(r.runs[1].outcome, 'skipped');
  assert.equal(r.heapLimitMiB, 16);
});
