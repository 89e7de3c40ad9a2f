/** --force replaces only what caplab made: a dataset folder with its manifest, an experiment folder. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDataset, importCsv, runSearch, isCaplabError } from '../lib/index.ts';
import { syntheticCsv } from '../lib/data/sample.ts';
import { writeTinyDataset } from './helpers/tiny-dataset.ts';
import { fakeExecutor } from './helpers/fake-executor.ts';

const SMALL = { tickers: 2, days: 30 };

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'caplab-force-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('data generate and import with --force refuse a folder of the user’s own files and a regular file, keeping them', async () => {
  await withTmp(async (dir) => {
    await mkdir(join(dir, 'mine'));
    await writeFile(join(dir, 'mine', 'mine.txt'), 'my notes');
    await writeFile(join(dir, 'file.bin'), 'a file');
    await writeFile(join(dir, 'p.csv'), syntheticCsv({ tickers: 1, days: 70, seed: 2 }));
    for (const out of ['mine', 'file.bin']) {
      await assert.rejects(generateDataset({ ...SMALL, out: join(dir, out), force: true }), (e) => isCaplabError(e, 'output-not-ours'));
      await assert.rejects(importCsv([join(dir, 'p.csv')], { out: join(dir, out), force: true }), (e) => isCaplabError(e, 'output-not-ours') && /choose another --out/i.test(e.message));
    }
    assert.equal(await readFile(join(dir, 'mine', 'mine.txt'), 'utf8'), 'my notes');
    assert.equal(await readFile(join(dir, 'file.bin'), 'utf8'), 'a file');
    // What caplab made, and an empty folder, it replaces.
    await generateDataset({ ...SMALL, out: join(dir, 'ds') });
    const s = await importCsv([join(dir, 'p.csv')], { out: join(dir, 'ds'), force: true });
    assert.equal(s.manifest.source.type, 'csv');
    await mkdir(join(dir, 'empty'));
    await generateDataset({ ...SMALL, out: join(dir, 'empty'), force: true });
    assert.deepEqual((await readdir(dir)).sort(), ['ds', 'empty', 'file.bin', 'mine', 'p.csv']);
  });
});

test('search --force starts over only an experiment folder, and never writes into a folder of other files', async () => {
  await withTmp(async (dir) => {
    const data = join(dir, 'data');
    await mkdir(data);
    await writeTinyDataset(data);
    await mkdir(join(dir, 'mine'));
    await writeFile(join(dir, 'mine', 'mine.txt'), 'my notes');
    for (const force of [false, true]) {
      await assert.rejects(runSearch({ data, out: join(dir, 'mine'), executor: fakeExecutor(), epochs: 1, trials: 2, force }), (e) => isCaplabError(e, 'output-not-ours'));
    }
    assert.deepEqual(await readdir(join(dir, 'mine')), ['mine.txt']);
    await writeFile(join(dir, 'exp.txt'), 'a file');
    await assert.rejects(runSearch({ data, out: join(dir, 'exp.txt'), executor: fakeExecutor(), epochs: 1, trials: 2, force: true }), (e) => isCaplabError(e, 'output-not-ours'));
    const out = join(dir, 'exp');
    await runSearch({ data, out, executor: fakeExecutor(), epochs: 1, trials: 2 });
    await writeFile(join(out, 'plot.png'), 'the user’s plot');
    const again = await runSearch({ data, out, executor: fakeExecutor(), epochs: 1, trials: 3, force: true });
    assert.equal(again.ran, 3);
    assert.equal(await readFile(join(out, 'plot.png'), 'utf8'), 'the user’s plot', 'force replaced only the experiment’s own files');
  });
});
