import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ErrorCode } from '../lib/errors.ts';
import { importCsv, generateDataset, isCaplabError } from '../lib/index.ts';
import { syntheticCsv, readNpy, MIN_HISTORY_DAYS } from '../lib/data/index.ts';

const FIXTURE = join(import.meta.dirname, '..', 'data', 'fixtures', 'ohlcv-3-tickers.csv');

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'caplab-data-import-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function readAll(dir: string, files: string[]): Promise<Float32Array> {
  const parts = await Promise.all(files.map(async (f) => (await readNpy(join(dir, f))).data as Float32Array));
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Imports `csv` text and expects a CaplabError whose message matches every pattern; nothing may be left behind. */
async function rejectsCsv(csv: string, code: ErrorCode, patterns: RegExp[]): Promise<void> {
  await withTmp(async (dir) => {
    const file = join(dir, 'prices.csv');
    await writeFile(file, csv);
    await assert.rejects(importCsv([file], { out: join(dir, 'out') }), (e) => {
      assert.ok(isCaplabError(e, code), `expected ${code}, got ${(e as Error).message}`);
      for (const p of patterns) assert.match((e as Error).message, p);
      return true;
    });
    assert.deepEqual(await readdir(dir), ['prices.csv'], 'a failed import leaves nothing behind');
  });
}

const good = () => syntheticCsv({ tickers: 2, days: 20, seed: 4 });
const lines = () => good().trimEnd().split('\n');

test('imports the S&P-layout fixture: tickers by name, rows split by date', async () => {
  await withTmp(async (dir) => {
    const s = await importCsv([FIXTURE], { out: join(dir, 'csv') });
    assert.deepEqual(s.manifest.tickers, ['SYN00000', 'SYN00001', 'SYN00002']);
    assert.equal(s.manifest.source.type, 'csv');
    assert.equal(s.manifest.dates!.length, 101);
    assert.equal(s.manifest.dates![60], s.manifest.split.firstDate);
    assert.equal(s.rows, 3 * (40 - 2));
    assert.ok(s.manifest.split.firstDate < s.manifest.split.validationStart && s.manifest.split.validationStart < s.manifest.split.testStart);
  });
});

test('imported synthetic prices give the rows the generator makes from the same prices', async () => {
  await withTmp(async (dir) => {
    const imp = await importCsv([FIXTURE], { out: join(dir, 'csv') });
    const gen = await generateDataset({ tickers: 3, days: 40, seed: 7, out: join(dir, 'gen') });
    assert.deepEqual(imp.manifest.rows, gen.manifest.rows);
    assert.deepEqual(imp.manifest.split, gen.manifest.split);
    for (const split of ['train', 'validation', 'test']) {
      const xa = await readAll(join(dir, 'csv'), imp.manifest.shards.filter((s) => s.split === split).map((s) => s.x.file));
      const xb = await readAll(join(dir, 'gen'), gen.manifest.shards.filter((s) => s.split === split).map((s) => s.x.file));
      let worst = 0;
      for (let i = 0; i < xa.length; i++) worst = Math.max(worst, Math.abs(xa[i] - xb[i]));
      // The CSV rounds prices to 4 decimals; nothing else differs.
      assert.ok(worst < 0.05, `largest feature difference ${worst}`);
    }
  });
});

test('reads one ticker spread over several files, in any row order, with columns in any order and case', async () => {
  await withTmp(async (dir) => {
    const [header, ...rows] = lines();
    const cols = header.split(',');
    const order = [6, 5, 4, 0, 1, 2, 3];
    const reorder = (l: string) => order.map((i) => l.split(',')[i]).join(',');
    await writeFile(join(dir, 'a.csv'), [order.map((i) => cols[i].toUpperCase()).join(','), ...rows.slice(0, 50).reverse().map(reorder)].join('\r\n'));
    await writeFile(join(dir, 'b.csv'), [header, ...rows.slice(50)].join('\n'));
    await writeFile(join(dir, 'one.csv'), good());
    const split = await importCsv([join(dir, 'a.csv'), join(dir, 'b.csv')], { out: join(dir, 'split') });
    const one = await importCsv([join(dir, 'one.csv')], { out: join(dir, 'one') });
    assert.deepEqual(split.manifest.shards.map((s) => s.x.sha256), one.manifest.shards.map((s) => s.x.sha256));
  });
});

test('a change to later prices in the CSV leaves every earlier row unchanged', async () => {
  await withTmp(async (dir) => {
    const ls = lines();
    const changed = ls.map((l, i) => {
      if (i === 0) return l;
      const f = l.split(',');
      if (f[6] !== 'SYN00000' || f[0] < '2015-01-20') return l;
      return [f[0], ...f.slice(1, 5).map((v) => String(Number(v) * 2)), f[5], f[6]].join(',');
    });
    await writeFile(join(dir, 'a.csv'), ls.join('\n'));
    await writeFile(join(dir, 'b.csv'), changed.join('\n'));
    const a = await importCsv([join(dir, 'a.csv')], { out: join(dir, 'a') });
    const b = await importCsv([join(dir, 'b.csv')], { out: join(dir, 'b') });
    const shard = a.manifest.shards.find((s) => s.split === 'train')!;
    const xa = (await readNpy(join(dir, 'a', shard.x.file))).data;
    const xb = (await readNpy(join(dir, 'b', shard.x.file))).data;
    const meta = (await readNpy(join(dir, 'a', shard.meta!.file))).data;
    // Day index of 2015-01-20 in this calendar: first price day is 60 weekdays before 2015-01-02.
    const cutDay = 60 + 11;
    let compared = 0;
    for (let r = 0; r < shard.rows; r++) {
      const day = meta[2 * r + 1];
      if (meta[2 * r] === 0 && day < cutDay) {
        assert.deepEqual(xb.subarray(r * 18, r * 18 + 18), xa.subarray(r * 18, r * 18 + 18));
        compared++;
      }
    }
    assert.ok(compared >= 10);
    assert.notDeepEqual(xb, xa);
  });
});

test('fills empty open/high/low with the close and skips rows with no close, saying so', async () => {
  await withTmp(async (dir) => {
    const ls = lines();
    const f = ls[5].split(',');
    ls[5] = [f[0], '', '', '', f[4], f[5], f[6]].join(',');
    ls.splice(30, 0, `${'2020-01-01'},1,1,1,,100,SYN00001`);
    await writeFile(join(dir, 'p.csv'), ls.join('\n'));
    const s = await importCsv([join(dir, 'p.csv')], { out: join(dir, 'out') });
    assert.ok(s.notes.some((n) => /3 empty open\/high\/low/.test(n)));
    assert.ok(s.notes.some((n) => /1 rows? with an empty close/.test(n)));
  });
});

test('rejects a CSV missing the close column, naming the file and the column', async () => {
  const text = good().replace('date,open,high,low,close,volume,Name', 'date,open,high,low,last,volume,Name');
  await rejectsCsv(text, 'csv-column', [/prices\.csv:1/, /"close"/]);
});

test('rejects a non-numeric price, naming the line, the column and the value', async () => {
  const ls = lines();
  ls[7] = ls[7].replace(/,([0-9.]+),SYN/, ',12x,SYN').replace(/^([^,]+),([^,]+),/, '$1,abc,');
  await rejectsCsv(ls.join('\n'), 'csv-value', [/prices\.csv:8/, /open "abc" is not a number/]);
});

test('rejects a negative price and a negative volume', async () => {
  const ls = lines();
  const f = ls[3].split(',');
  ls[3] = [f[0], f[1], f[2], f[3], '-' + f[4], f[5], f[6]].join(',');
  await rejectsCsv(ls.join('\n'), 'csv-value', [/prices\.csv:4/, /close is -/, /positive/]);
  const lv = lines();
  const g = lv[9].split(',');
  lv[9] = [...g.slice(0, 5), '-5', g[6]].join(',');
  await rejectsCsv(lv.join('\n'), 'csv-value', [/prices\.csv:10/, /volume/]);
});

test('rejects an unparseable date, naming the line and the value', async () => {
  for (const bad of ['2015-02-30', '02/03/2015', 'soon']) {
    const ls = lines();
    ls[4] = ls[4].replace(/^[^,]+/, bad);
    await rejectsCsv(ls.join('\n'), 'csv-date', [/prices\.csv:5/, new RegExp(`"${bad.replace(/[/]/g, '\\/')}"`), /YYYY-MM-DD/]);
  }
});

test('rejects a ticker with the same date twice, naming both lines', async () => {
  const ls = lines();
  ls.push(ls[12]);
  await rejectsCsv(ls.join('\n'), 'csv-duplicate-date', [/SYN00000/, /prices\.csv:13/, new RegExp(`prices\\.csv:${ls.length}`)]);
});

test('rejects a ticker with too little history, or leaves it out with skipShort', async () => {
  const short = ['date,open,high,low,close,volume,Name', ...lines().slice(1), '2020-01-02,1,1,1,1,10,TINY', '2020-01-03,1,1,1,1,10,TINY'].join('\n');
  await rejectsCsv(short, 'csv-short-history', [/TINY/, /2 trading days/, new RegExp(`${MIN_HISTORY_DAYS}`), /--skip-short/]);
  await withTmp(async (dir) => {
    await writeFile(join(dir, 'p.csv'), short);
    const s = await importCsv([join(dir, 'p.csv')], { out: join(dir, 'out'), skipShort: true });
    assert.deepEqual(s.manifest.tickers, ['SYN00000', 'SYN00001']);
    assert.ok(s.notes.some((n) => /TINY/.test(n)));
  });
});

test('rejects a row with missing fields, an empty file and a missing file', async () => {
  const ls = lines();
  ls[2] = ls[2].split(',').slice(0, 4).join(',');
  await rejectsCsv(ls.join('\n'), 'csv-row', [/prices\.csv:3/, /4 fields/]);
  await rejectsCsv('', 'csv-empty', [/prices\.csv/]);
  await withTmp(async (dir) => {
    await assert.rejects(importCsv([join(dir, 'nope.csv')], { out: join(dir, 'o') }), (e) => isCaplabError(e, 'csv-missing') && /nope\.csv/.test(e.message));
    await assert.rejects(importCsv([], { out: join(dir, 'o') }), (e) => isCaplabError(e, 'csv-none'));
  });
});

test('refuses an existing output folder before reading any CSV', async () => {
  await withTmp(async (dir) => {
    await assert.rejects(importCsv([join(dir, 'missing.csv')], { out: dir }), (e) => isCaplabError(e, 'output-exists'));
    const before = await readFile(FIXTURE, 'utf8');
    assert.ok(before.startsWith('date,open,high,low,close,volume,Name'));
  });
});
