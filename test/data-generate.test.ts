import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, mkdir, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDataset, readManifest, isCaplabError, type ProgressEvent } from '../lib/index.ts';
import { readNpy } from '../lib/data/index.ts';

const SMALL = { tickers: 6, days: 120 };
// sha256 prefixes of the x shards of { tickers: 3, days: 40, seed: 42 }.
const GOLDEN_X_SHA = ['9a81c41f72dbf812', '8ac61faadcc20e24', 'cf69ba7f8b01db12'];

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'caplab-data-gen-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const shaList = (m: { shards: Array<{ x: { sha256: string }; y: { sha256: string } }> }) => m.shards.flatMap((s) => [s.x.sha256, s.y.sha256]);

test('the same seed and options give byte-identical shards', async () => {
  await withTmp(async (dir) => {
    const a = await generateDataset({ ...SMALL, out: join(dir, 'a'), seed: 5 });
    const b = await generateDataset({ ...SMALL, out: join(dir, 'b'), seed: 5 });
    assert.deepEqual(shaList(a.manifest), shaList(b.manifest));
    const fa = await readFile(join(dir, 'a', a.manifest.shards[0].x.file));
    const fb = await readFile(join(dir, 'b', b.manifest.shards[0].x.file));
    assert.ok(fa.equals(fb));
  });
});

test('a different seed gives different data', async () => {
  await withTmp(async (dir) => {
    const a = await generateDataset({ ...SMALL, out: join(dir, 'a'), seed: 5 });
    const b = await generateDataset({ ...SMALL, out: join(dir, 'b'), seed: 6 });
    for (const [x, y] of shaList(a.manifest).map((s, i) => [s, shaList(b.manifest)[i]])) assert.notEqual(x, y);
  });
});

test('a scaled dataset holds the base tickers unchanged plus new tickers that copy no base row', async () => {
  await withTmp(async (dir) => {
    const base = await generateDataset({ ...SMALL, out: join(dir, 'base') });
    const big = await generateDataset({ ...SMALL, out: join(dir, 'x3'), scale: 3 });
    assert.equal(big.manifest.source.tickers, 18);
    assert.equal(big.rows, 3 * base.rows);
    // Shard groups are base-sized, so the first group is the base dataset byte for byte.
    assert.deepEqual(shaList(big.manifest).slice(0, 6), shaList(base.manifest));
    const rowKeys = async (root: string, file: string) => {
      const { data, shape } = await readNpy(join(root, file));
      const keys: string[] = [];
      for (let r = 0; r < shape[0]; r++) keys.push(Array.from(data.subarray(r * shape[1], (r + 1) * shape[1])).join(','));
      return keys;
    };
    const seen = new Set<string>();
    for (const s of base.manifest.shards) for (const k of await rowKeys(join(dir, 'base'), s.x.file)) seen.add(k);
    let newRows = 0;
    for (const s of big.manifest.shards.filter((s) => s.tickers!.first >= SMALL.tickers)) {
      for (const k of await rowKeys(join(dir, 'x3'), s.x.file)) {
        assert.ok(!seen.has(k), 'a row of a new ticker equals a base row');
        newRows++;
      }
    }
    assert.equal(newRows, 2 * base.rows);
  });
});

test('the split is by date: every train date is before every validation date, and those before every test date', async () => {
  await withTmp(async (dir) => {
    const s = await generateDataset({ ...SMALL, out: join(dir, 'd') });
    const days: Record<string, number[]> = { train: [], validation: [], test: [] };
    for (const sh of s.manifest.shards) {
      const { data } = await readNpy(join(dir, 'd', sh.meta!.file));
      for (let r = 0; r < sh.rows; r++) days[sh.split].push(data[2 * r + 1]);
    }
    assert.ok(days.train.length > 0 && days.validation.length > 0 && days.test.length > 0);
    // The target of the last train row (next day's return) is still before validation starts.
    assert.ok(Math.max(...days.train) + 1 < Math.min(...days.validation));
    assert.ok(Math.max(...days.validation) + 1 < Math.min(...days.test));
    assert.ok(s.manifest.split.firstDate < s.manifest.split.validationStart);
    assert.ok(s.manifest.split.validationStart < s.manifest.split.testStart);
    assert.ok(s.manifest.split.testStart <= s.manifest.split.lastDate);
    assert.equal(s.manifest.rows.total, s.manifest.rows.train + s.manifest.rows.validation + s.manifest.rows.test);
  });
});

test('reports a shard-written event per shard and records train statistics', async () => {
  await withTmp(async (dir) => {
    const events: ProgressEvent[] = [];
    const s = await generateDataset({ ...SMALL, out: join(dir, 'p'), scale: 2, onProgress: (e) => events.push(e) });
    const written = events.filter((e) => e.kind === 'shard-written');
    assert.equal(written.length, s.manifest.shards.length);
    const last = written.at(-1)!;
    assert.equal(last.kind === 'shard-written' && last.rows, s.rows);
    assert.equal(last.kind === 'shard-written' && last.bytes, s.bytes);
    const st = s.manifest.stats!;
    assert.equal(st.rows, s.manifest.rows.train);
    assert.equal(st.mean.length, s.features);
    assert.ok(st.std.every((v) => v > 0) && st.targetStd > 0.5 && st.targetStd < 5, 'returns are in percent');
  });
});

/**
 * Out-of-sample R² of least squares fitted on the train split, scored on validation + test against
 * the train mean. Features and target are demeaned across tickers day by day first: the signal is
 * each ticker's own, and one shared market path is too few observations to fit market timing on.
 */
async function linearR2(dir: string, s: Awaited<ReturnType<typeof generateDataset>>): Promise<number> {
  const F = s.features;
  const load = async (splits: string[]) => {
    const shards = s.manifest.shards.filter((x) => splits.includes(x.split));
    const rows: Array<{ x: Float64Array; y: number }> = [];
    const byDay = new Map<number, Array<{ x: Float64Array; y: number }>>();
    for (const sh of shards) {
      const x = (await readNpy(join(dir, sh.x.file))).data;
      const y = (await readNpy(join(dir, sh.y.file))).data;
      const m = (await readNpy(join(dir, sh.meta!.file))).data;
      for (let r = 0; r < sh.rows; r++) {
        const row = { x: Float64Array.from(x.subarray(r * F, (r + 1) * F)), y: y[r] };
        rows.push(row);
        const day = m[2 * r + 1];
        if (!byDay.has(day)) byDay.set(day, []);
        byDay.get(day)!.push(row);
      }
    }
    for (const group of byDay.values()) {
      const mx = new Float64Array(F);
      let my = 0;
      for (const r of group) {
        for (let f = 0; f < F; f++) mx[f] += r.x[f] / group.length;
        my += r.y / group.length;
      }
      for (const r of group) {
        for (let f = 0; f < F; f++) r.x[f] -= mx[f];
        r.y -= my;
      }
    }
    return rows;
  };
  const train = await load(['train']);
  const n = F + 1;
  const a = Array.from({ length: n }, () => new Float64Array(n + 1));
  for (const r of train) {
    const v = [1, ...r.x];
    for (let i = 0; i < n; i++) {
      a[i][n] += v[i] * r.y;
      for (let j = 0; j < n; j++) a[i][j] += v[i] * v[j];
    }
  }
  const trainMean = a[0][n] / a[0][0];
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    [a[c], a[p]] = [a[p], a[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const k = a[r][c] / a[c][c];
      for (let j = c; j <= n; j++) a[r][j] -= k * a[c][j];
    }
  }
  const w = a.map((r, i) => r[n] / r[i]);
  let sse = 0;
  let sseBaseline = 0;
  for (const r of await load(['validation', 'test'])) {
    let p = w[0];
    for (let f = 0; f < F; f++) p += w[f + 1] * r.x[f];
    sse += (r.y - p) ** 2;
    sseBaseline += (r.y - trainMean) ** 2;
  }
  return 1 - sse / sseBaseline;
}

test('the synthetic returns carry a weak signal a linear model learns from the train split', async () => {
  await withTmp(async (dir) => {
    for (const seed of [42, 4, 7]) {
      const out = join(dir, `sig-${seed}`);
      const r2 = await linearR2(out, await generateDataset({ tickers: 40, days: 400, seed, out }));
      assert.ok(r2 > 0.005, `seed ${seed}: out-of-sample R² ${r2} should be clearly above zero`);
      assert.ok(r2 < 0.1, `seed ${seed}: out-of-sample R² ${r2} should be weak`);
    }
  });
});

test('refuses to overwrite an existing output folder unless force is set, and force replaces only a dataset', async () => {
  await withTmp(async (dir) => {
    const out = join(dir, 'exists');
    await mkdir(out);
    await writeFile(join(out, 'keep.txt'), 'mine');
    await assert.rejects(generateDataset({ ...SMALL, out }), (e) => isCaplabError(e, 'output-exists') && /exists/.test(e.message) && /--force/.test(e.message));
    assert.deepEqual(await readdir(out), ['keep.txt']);
    // A folder caplab did not make is never replaced, --force or not.
    await assert.rejects(generateDataset({ ...SMALL, out, force: true }), (e) => isCaplabError(e, 'output-not-ours') && /not a dataset folder caplab made/.test(e.message));
    assert.deepEqual(await readdir(out), ['keep.txt']);
    const ds = join(dir, 'ds');
    const first = await generateDataset({ ...SMALL, out: ds });
    await generateDataset({ ...SMALL, out: ds, seed: 43, force: true });
    assert.notDeepEqual((await readdir(ds)).length, 0);
    const again = JSON.parse(await readFile(join(ds, 'manifest.json'), 'utf8'));
    assert.notEqual(again.shards[0].x.sha256, first.manifest.shards[0].x.sha256, 'the dataset was replaced');
    assert.deepEqual((await readdir(dir)).sort(), ['ds', 'exists'], 'no temp folder or lock is left beside the output');
  });
});

test('rejects a scale that is not a positive number, naming the value', async () => {
  await withTmp(async (dir) => {
    for (const scale of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 'abc' as unknown as number, 0.001]) {
      await assert.rejects(generateDataset({ ...SMALL, out: join(dir, 'bad'), scale }), (e) => isCaplabError(e, 'bad-option') && /scale/.test(e.message));
    }
    assert.deepEqual(await readdir(dir), [], 'nothing is written for a bad option');
  });
});

test('accepts a fractional scale as a share of the base tickers', async () => {
  await withTmp(async (dir) => {
    const s = await generateDataset({ ...SMALL, out: join(dir, 'half'), scale: 0.5 });
    assert.equal(s.manifest.source.tickers, 3);
    assert.equal((await readManifest(join(dir, 'half'))).source.scale, 0.5);
  });
});

test('rejects ticker, day and seed counts that are not whole numbers in range', async () => {
  await withTmp(async (dir) => {
    const cases = [{ tickers: 0 }, { tickers: 2.5 }, { days: 5 }, { seed: -1 }, { seed: 1.5 }];
    for (const c of cases) {
      const field = Object.keys(c)[0];
      await assert.rejects(generateDataset({ ...SMALL, ...c, out: join(dir, 'bad') }), (e) => isCaplabError(e, 'bad-option') && e.message.startsWith(field));
    }
    await assert.rejects(generateDataset({ ...SMALL, out: '' }), (e) => isCaplabError(e, 'bad-option') && /out/.test(e.message));
  });
});

test('a generation that fails part way leaves neither the output nor a temp folder behind', async () => {
  await withTmp(async (dir) => {
    let n = 0;
    const failing = (e: ProgressEvent) => {
      if (e.kind === 'shard-written' && ++n === 2) throw new Error('disk on fire');
    };
    await assert.rejects(generateDataset({ ...SMALL, out: join(dir, 'half'), scale: 2, onProgress: failing }), /disk on fire/);
    assert.deepEqual(await readdir(dir), []);
  });
});

test('the seed-42 market is stable across versions: pods regenerate the same bytes', async () => {
  await withTmp(async (dir) => {
    const s = await generateDataset({ tickers: 3, days: 40, out: join(dir, 'g') });
    // If this changes on purpose, bump the generator version in generate.ts and update the sums.
    assert.deepEqual(
      s.manifest.shards.map((sh) => sh.x.sha256.slice(0, 16)),
      GOLDEN_X_SHA,
    );
  });
});
