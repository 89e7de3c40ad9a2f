/**
 * Rows with an empty open, high or low (real exports have a few): filled from the close by
 * default, skipped with emptyOhl 'skip'; the choice and its counts are in the manifest and in
 * `caplab data info`. Rows whose prices make no sense are refused by line, or skipped and counted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importCsv, isCaplabError } from '../lib/index.ts';
import { syntheticCsv } from '../lib/data/sample.ts';
import { readNpy } from '../lib/data/npy.ts';
import { readOhlcvCsv } from '../lib/data/csv.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'caplab.js');

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'caplab-empty-ohl-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Two tickers' CSV with line 6 (a row of SYN00000) missing its open, high and low. */
function withHoles(): { text: string; date: string; close: number } {
  const ls = syntheticCsv({ tickers: 2, days: 80, seed: 5 }).trimEnd().split('\n');
  const f = ls[5].split(',');
  ls[5] = [f[0], '', '', '', f[4], f[5], f[6]].join(',');
  const g = ls[9].split(',');
  ls[9] = [g[0], g[1], '', g[3], g[4], g[5], g[6]].join(',');
  return { text: ls.join('\n'), date: f[0], close: Number(f[4]) };
}

test('by default an empty open/high/low is filled from the close, and data info says so', async () => {
  await withTmp(async (dir) => {
    const { text, close } = withHoles();
    await writeFile(join(dir, 'p.csv'), text);
    const read = await readOhlcvCsv([join(dir, 'p.csv')]);
    const t = read.tickers.get('SYN00000')!;
    const i = t.line.indexOf(6);
    assert.deepEqual([t.open[i], t.high[i], t.low[i], t.close[i]], [close, close, close, close]);
    const j = t.line.indexOf(10);
    assert.equal(t.high[j], Math.max(t.open[j], t.close[j]), 'a lone empty high is the larger of open and close');
    assert.equal(read.filledValues, 4);
    const s = await importCsv([join(dir, 'p.csv')], { out: join(dir, 'ds') });
    assert.deepEqual(s.manifest.source.rowPolicy, { emptyOhl: 'fill', filledValues: 4, skippedEmptyOhl: 0, skippedEmptyClose: 0, skipBadRows: false, skippedBadRows: 0 });
    const info = spawnSync(process.execPath, [BIN, 'data', 'info', join(dir, 'ds')], { encoding: 'utf8' });
    assert.equal(info.status, 0, info.stderr);
    assert.match(info.stdout, /empty open\/high\/low filled from the close \(4 values\)/);
    for (const sh of s.manifest.shards) {
      const x = (await readNpy(join(dir, 'ds', sh.x.file))).data;
      assert.ok(x.every(Number.isFinite), 'every feature in the shards is finite');
    }
  });
});

test('with emptyOhl skip (--empty-ohl skip) such rows are left out and counted', async () => {
  await withTmp(async (dir) => {
    const { text, date } = withHoles();
    await writeFile(join(dir, 'p.csv'), text);
    const s = await importCsv([join(dir, 'p.csv')], { out: join(dir, 'ds'), emptyOhl: 'skip' });
    assert.equal(s.manifest.source.rowPolicy?.skippedEmptyOhl, 2);
    assert.ok(s.notes.some((n) => /2 rows with an empty open, high or low were skipped/.test(n)));
    const read = await readOhlcvCsv([join(dir, 'p.csv')], { emptyOhl: 'skip' });
    assert.ok(!read.tickers.get('SYN00000')!.line.includes(6), `the row of ${date} is gone`);
    const cli = spawnSync(process.execPath, [BIN, 'data', 'import', join(dir, 'p.csv'), '--out', join(dir, 'ds2'), '--empty-ohl', 'skip'], { encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stderr);
    const info = spawnSync(process.execPath, [BIN, 'data', 'info', join(dir, 'ds2'), '--no-checksums'], { encoding: 'utf8' });
    assert.match(info.stdout, /rows with an empty open\/high\/low skipped \(2\)/);
  });
});

test('prices that make no sense are refused by line, or skipped and counted with skipBadRows', async () => {
  await withTmp(async (dir) => {
    const ls = syntheticCsv({ tickers: 1, days: 80, seed: 5 }).trimEnd().split('\n');
    const f = ls[7].split(',');
    ls[7] = [f[0], f[1], String(Number(f[3]) / 2), f[3], f[4], f[5], f[6]].join(','); // high below low
    await writeFile(join(dir, 'p.csv'), ls.join('\n'));
    await assert.rejects(importCsv([join(dir, 'p.csv')], { out: join(dir, 'ds') }), (e) => isCaplabError(e, 'csv-value') && /p\.csv:8: high .* is below low/.test(e.message) && /--skip-bad-rows/.test(e.message));
    const s = await importCsv([join(dir, 'p.csv')], { out: join(dir, 'ds'), skipBadRows: true });
    assert.equal(s.manifest.source.rowPolicy?.skippedBadRows, 1);
  });
});
