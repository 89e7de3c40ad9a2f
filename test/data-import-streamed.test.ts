/**
 * The streamed importer (scan, per-ticker spill, one ticker loaded at a time) gives what the
 * whole-file importer gave for the same input: the sums below were recorded from it (caplab at
 * b4121c5) for the cases in helpers/csv-cases.ts, errors included, and must not change.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importCsv } from '../lib/index.ts';
import { TickerSpill } from '../lib/data/csv-spill.ts';
import { csvCases, importDigest, writeCase } from './helpers/csv-cases.ts';

const RECORDED: Record<string, { digest?: string; error?: string }> = {
  'grouped': { digest: '25e2860519af6cc6056c1c99bd8c6e9df3999d4b56d6746c5f9bbb0c3da2d2ab' },
  'scattered': { digest: '25e2860519af6cc6056c1c99bd8c6e9df3999d4b56d6746c5f9bbb0c3da2d2ab' },
  'ragged-grouped': { digest: '9826c82fface6df5c1998a82b9e76a188cb1a8308d5385e73e15f109fcd153ae' },
  'ragged-scattered': { digest: '9826c82fface6df5c1998a82b9e76a188cb1a8308d5385e73e15f109fcd153ae' },
  'holes-fill': { digest: 'c50f757cdfd00c5441d7d30ad15d3c514a7b93ee96c736aa55004cf5ad0e298c' },
  'holes-skip': { digest: '1d5903b61045b3c30a0d0199e1dd0f8d3d5a81cecc15a4a8786e6e64f4402d36' },
  'short-skipped': { digest: '94d854ce3317499562dcca8d03c1a002fb0f3f9fbd037619973fc91f0f6732bb' },
  'duplicate-before-short': { error: "Ticker AAA has two rows for 2014-10-28: <dir>/all.csv:1736 and <dir>/all.csv:1754.\n  \u2192 Remove one of the two lines (a ticker can have one row per date)." },
  'short-before-duplicate': { error: "Ticker AAA has 50 trading days (<dir>/all.csv:94 \u2026); the features need at least 62 (60 days of history, the day itself and the next day for the target).\n  \u2192 Remove its rows, add more history, or pass --skip-short to leave such tickers out." },
  'short-not-skipped': { error: "Ticker SHORT has 40 trading days (<dir>/all.csv:1724 \u2026); the features need at least 62 (60 days of history, the day itself and the next day for the target).\n  \u2192 Remove its rows, add more history, or pass --skip-short to leave such tickers out." },
  'three-files': { digest: '8d6821333970539c6ef36c7d515397875a5f5081c164642607d1579fd44091ab' },
};

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'caplab-import-streamed-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

for (const c of csvCases()) {
  test(`case ${c.name}: the same dataset, notes and errors as the whole-file importer`, async () => {
    await withTmp(async (dir) => {
      const files = await writeCase(dir, c);
      const want = RECORDED[c.name];
      const before = (await readdir(dir)).sort();
      if (want.error) {
        await assert.rejects(importCsv(files, { ...c.options, out: join(dir, 'out') }), (e) => {
          assert.equal((e as Error).message.split(dir).join('<dir>'), want.error);
          return true;
        });
        assert.deepEqual((await readdir(dir)).sort(), before, 'no output and no spill folder left');
      } else {
        const s = await importCsv(files, { ...c.options, out: join(dir, 'out') });
        assert.equal(importDigest(s), want.digest);
        assert.deepEqual((await readdir(dir)).sort(), [...before, 'out'].sort(), 'the spill folder is gone');
      }
    });
  });
}

test('rows of tickers interleaved row by row come back per ticker in read order, across many flushes', async () => {
  await withTmp(async (dir) => {
    const spill = new TickerSpill(dir, 3);
    const want: number[][] = [[], [], [], []];
    for (let r = 0; r < 50; r++) {
      const id = (r * 7) % 4;
      spill.add(id, r, r + 0.5, r + 0.75, r + 0.25, r + 0.5, r * 1000, r % 2, r + 2);
      want[id].push(r, r + 0.5, r + 0.75, r + 0.25, r + 0.5, r * 1000, r % 2, r + 2);
    }
    spill.flush();
    for (let id = 0; id < 4; id++) assert.deepEqual(Array.from(spill.load(id)), want[id]);
  });
});
