/**
 * This thread and worker threads build and write the synthetic dataset's shard groups: the folder must be the
 * one a single thread writes, byte for byte, whatever the thread count, with progress in order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDataset, isCaplabError, type ProgressEvent } from '../lib/index.ts';

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'caplab-data-threads-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// Seven groups of unequal work (the last is short), so threads finish out of order.
const OPTIONS = { tickers: 20, days: 90, shardTickers: 3, seed: 11 };

async function written(dir: string, workers: number) {
  const events: ProgressEvent[] = [];
  const s = await generateDataset({ ...OPTIONS, out: join(dir, `w${workers}`), workers, onProgress: (e) => events.push(e) });
  const { createdAt: _, ...manifest } = s.manifest;
  const files = new Map<string, Buffer>();
  for (const f of (await readdir(s.path)).sort()) files.set(f, await readFile(join(s.path, f)));
  files.delete('manifest.json');
  return { manifest, files, progress: events.filter((e) => e.kind === 'shard-written') };
}

test('two, three or four builder threads (this one and worker threads) write the same files, manifest and statistics as this thread alone', async () => {
  await withTmp(async (dir) => {
    const alone = await written(dir, 0);
    assert.equal(alone.manifest.shards.length, 21);
    for (const workers of [2, 3, 4]) {
      const threaded = await written(dir, workers);
      assert.deepEqual(threaded.manifest, alone.manifest, `${workers} threads: manifest`);
      assert.deepEqual([...threaded.files.keys()], [...alone.files.keys()]);
      for (const [f, bytes] of alone.files) assert.ok(threaded.files.get(f)!.equals(bytes), `${workers} threads: ${f} differs`);
      assert.deepEqual(threaded.progress, alone.progress, `${workers} threads: progress events`);
    }
  });
});

test('more threads than shard groups still writes every group once', async () => {
  await withTmp(async (dir) => {
    const s = await generateDataset({ tickers: 4, days: 40, out: join(dir, 'one-group'), workers: 8 });
    assert.equal(s.shards, 3);
  });
});

test('rejects a thread count that is not a whole number from 0 to 256', async () => {
  for (const workers of [-1, 1.5, 1000]) {
    await assert.rejects(generateDataset({ tickers: 2, days: 40, out: join(tmpdir(), 'never-written'), workers }), (e) => isCaplabError(e, 'bad-option') && /workers/.test(e.message));
  }
});

test('generates from `node --input-type=module -e` code, whose option a thread cannot take', async () => {
  await withTmp(async (dir) => {
    const lib = new URL('../lib/index.ts', import.meta.url).href;
    const code = `const { generateDataset } = await import(${JSON.stringify(lib)});
const s = await generateDataset({ tickers: 4, days: 40, shardTickers: 2, workers: 2, out: ${JSON.stringify(join(dir, 'e'))} });
console.log(s.shards);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '6');
  });
});
