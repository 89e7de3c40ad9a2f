import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDataset } from '../lib/index.ts';
import { readNpy } from '../lib/data/index.ts';
import { statsAccumulator } from '../lib/data/stats.ts';
import { standardization } from '../lib/train/scaling.ts';

/** Mean and population std of each column of row-major `x` (and of `y`), by two exact passes. */
function twoPass(x: Float32Array, y: Float32Array, width: number) {
  const cols = Array.from({ length: width + 1 }, (_, k) => (k < width ? Float64Array.from({ length: y.length }, (_, r) => x[r * width + k]) : Float64Array.from(y)));
  return cols.map((c) => {
    const mean = c.reduce((a, v) => a + v, 0) / c.length;
    return { mean, std: Math.sqrt(c.reduce((a, v) => a + (v - mean) ** 2, 0) / c.length) };
  });
}

test('a written dataset records the train split statistics of its shards to float64 precision', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'caplab-stats-'));
  try {
    const s = await generateDataset({ tickers: 7, days: 160, seed: 3, out: join(dir, 'd') });
    const width = s.features;
    const train = s.manifest.shards.filter((sh) => sh.split === 'train');
    const xs = await Promise.all(train.map((sh) => readNpy(join(dir, 'd', sh.x.file))));
    const ys = await Promise.all(train.map((sh) => readNpy(join(dir, 'd', sh.y.file))));
    const rows = ys.reduce((a, y) => a + y.data.length, 0);
    const x = new Float32Array(rows * width);
    const y = new Float32Array(rows);
    let at = 0;
    for (let i = 0; i < xs.length; i++) {
      x.set(xs[i].data, at * width);
      y.set(ys[i].data, at);
      at += ys[i].data.length;
    }
    const want = twoPass(x, y, width);
    const st = s.manifest.stats!;
    assert.equal(st.rows, rows);
    const near = (got: number, exp: number, scale: number, what: string) => assert.ok(Math.abs(got - exp) <= 1e-9 * scale, `${what}: ${got} vs ${exp}`);
    for (let k = 0; k < width; k++) {
      near(st.mean[k], want[k].mean, want[k].std, `mean of ${s.manifest.features[k]}`);
      near(st.std[k], want[k].std, want[k].std, `std of ${s.manifest.features[k]}`);
    }
    near(st.targetMean, want[width].mean, want[width].std, 'target mean');
    near(st.targetStd, want[width].std, want[width].std, 'target std');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('statistics added in chunks equal one pass, even with a large mean and a small spread', () => {
  const width = 2;
  const rows = 1000;
  const x = Float32Array.from({ length: rows * width }, (_, i) => 1e4 + Math.sin(i) * 1e-2 * (1 + (i % width)));
  const y = Float32Array.from({ length: rows }, (_, i) => Math.cos(i));
  const one = statsAccumulator(width);
  one.add(x, y, 0, rows);
  const chunks = statsAccumulator(width);
  for (const [from, to] of [[0, 1], [1, 333], [333, 333], [333, rows]]) chunks.add(x, y, from, to);
  const want = twoPass(x, y, width);
  for (const acc of [one.result(), chunks.result()]) {
    assert.equal(acc.rows, rows);
    for (let k = 0; k < width; k++) assert.ok(Math.abs(acc.std[k] - want[k].std) < 1e-9 * want[k].std, `std ${k}: ${acc.std[k]} vs ${want[k].std}`);
    assert.ok(Math.abs(acc.targetMean - want[width].mean) < 1e-12);
  }
});

test('a constant column has std 0 in the statistics and std 1 in the standardization', () => {
  const acc = statsAccumulator(2);
  acc.add(Float32Array.of(5, 1, 5, 2, 5, 3), Float32Array.of(0, 0, 0), 0, 3);
  const st = acc.result();
  assert.deepEqual([st.std[0], st.targetStd], [0, 0]);
  const z = standardization(st);
  assert.deepEqual([z.xStd[0], z.yStd, z.xMean[0]], [1, 1, 5]);
  assert.deepEqual(statsAccumulator(3).result(), { rows: 0, mean: [0, 0, 0], std: [0, 0, 0], targetMean: 0, targetStd: 0 });
});
