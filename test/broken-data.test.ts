/**
 * Broken data is found before work starts: train and search verify the dataset (checksums by
 * default; the opt-out says what it skips); a data error during a search stops it at once with
 * its own reason; failed trials are run again on resume unless kept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unlinkSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSearch, isCaplabError, type SearchSpace } from '../lib/index.ts';
import { readTrialLines } from '../lib/search/store.ts';
import { writeTinyDataset } from './helpers/tiny-dataset.ts';
import { fakeExecutor } from './helpers/fake-executor.ts';
import { runCaplab } from './helpers/cli.ts';


const caplab = (args: string[]) => runCaplab(args);

/** Flips one byte in the data part of a shard (past the 128-byte .npy header). */
async function flipByte(path: string): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, 200);
    b[0] ^= 0x40;
    await fh.write(b, 0, 1, 200);
  } finally {
    await fh.close();
  }
}

async function withData(fn: (dir: string, data: string, files: string[]) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'caplab-broken-'));
  try {
    const data = join(dir, 'data');
    await mkdir(data);
    const m = await writeTinyDataset(data);
    await fn(dir, data, m.shards.flatMap((s) => [s.x.file, s.y.file]));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('train refuses a dataset with a flipped byte before training, and --no-checksums says what it skips', async () => {
  await withData(async (_dir, data, files) => {
    await flipByte(join(data, files[0]));
    const r = await caplab(['train', '--data', data, '--epochs', '1', '--json']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /does not match its checksum/);
    assert.equal(r.stdout, '', 'nothing was trained');
    const skip = await caplab(['train', '--data', data, '--epochs', '1', '--no-checksums', '--json']);
    assert.equal(skip.code, 0, skip.stderr);
    assert.match(skip.stderr, /checksums skipped: shards are checked for presence and shape only, so a changed or damaged byte would go unnoticed/);
  });
});

test('search on a broken dataset stops before any trial with a data error, and records nothing', async () => {
  await withData(async (dir, data, files) => {
    await flipByte(join(data, files[1]));
    const out = join(dir, 'exp');
    const ex = fakeExecutor();
    await assert.rejects(runSearch({ data, out, executor: ex, epochs: 1 }), (e) => isCaplabError(e, 'data-error') && /checksum/.test(e.message));
    assert.equal(ex.ran.length, 0);
    assert.deepEqual(await readdir(dir), ['data'], 'no experiment folder was made');
    const messages: string[] = [];
    const s = await runSearch({ data, out, executor: fakeExecutor(), epochs: 1, trials: 2, checksums: false, onProgress: (e) => void (e.kind === 'message' && messages.push(e.text)) });
    assert.equal(s.ok, 2);
    assert.ok(messages.some((m) => /checksums skipped/.test(m)));
  });
});

test('a data error during a search stops it at once with its own reason; the trial it broke is not recorded', async () => {
  await withData(async (dir, data, files) => {
    const out = join(dir, 'exp');
    let n = 0;
    const recorded = new Map<string, () => void>();
    // The second trial finds a shard gone (as the worker would) and fails; the rest must not run.
    const ex = fakeExecutor({
      settled: (id) => new Promise<void>((r) => recorded.set(id, r)),
      fail: () => {
        if (++n === 2) {
          unlinkSync(join(data, files[0]));
          return 'crash';
        }
        return n > 2 ? 'crash' : undefined;
      },
    });
    await assert.rejects(runSearch({ data, out, executor: ex, epochs: 1, trials: 8, onTrial: (r) => recorded.get(r.trialId)?.() }), (e) => {
      assert.ok(isCaplabError(e, 'data-error'), String(e));
      assert.match(e.message, /The search stopped: .*Shard .* is missing/);
      assert.match(e.message, /--resume \(the 1 trial\(s\) recorded before it are kept\)/);
      return true;
    });
    assert.equal(ex.ran.length, 2, 'no trial started after the data error');
    const lines = (await readTrialLines(out)).records;
    assert.deepEqual(lines.map((r) => r.status), ['ok'], 'only the trial before the break is recorded');
  });
});

test('on resume, failed trials run again unless asked to count as done', async () => {
  await withData(async (dir, data) => {
    const out = join(dir, 'exp');
    const space: SearchSpace = { type: 'grid', params: { hidden: [[4], [8], [16]] }, fixed: { epochs: 1 } };
    const first = await runSearch({ data, out, space, executor: fakeExecutor({ fail: (s) => (s.payload.config.hidden![0] === 8 ? 'crash' : undefined) }) });
    assert.deepEqual([first.ok, first.failed], [2, 1]);
    const kept = fakeExecutor();
    const k = await runSearch({ data, out, space, executor: kept, resume: true, retryFailed: false });
    assert.deepEqual([kept.ran.length, k.failed], [0, 1]);
    const again = fakeExecutor();
    const a = await runSearch({ data, out, space, executor: again, resume: true });
    assert.deepEqual([again.ran.length, a.ok, a.failed], [1, 3, 0]);
  });
});
