/**
 * One writer per output: a dataset folder or an experiment folder held by a running process is
 * refused to a second writer, naming the holder; a lock left by a dead process is taken over,
 * saying so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, readdir, writeFile, mkdir } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDataset, runSearch, isCaplabError, type ProgressEvent } from '../lib/index.ts';
import { readTrialLines } from '../lib/search/store.ts';
import { lockPathFor } from '../lib/util/lock.ts';
import { writeTinyDataset } from './helpers/tiny-dataset.ts';
import { fakeExecutor } from './helpers/fake-executor.ts';

const LOCK = new URL('../lib/util/lock.ts', import.meta.url).href;

/** A process that holds `target`'s lock until its stdin closes; resolves once it holds it. */
async function holder(target: string): Promise<ChildProcess> {
  const code = `const { acquireLock } = await import(${JSON.stringify(LOCK)});
    const lock = await acquireLock(${JSON.stringify(target)}, { what: 'test holder' });
    console.log('held');
    process.stdin.resume();
    process.stdin.on('end', () => { lock.release(); process.exit(0); });`;
  const p = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  p.stdout!.on('data', (d) => (out += d));
  while (!out.includes('held')) await once(p.stdout!, 'data');
  return p;
}

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'caplab-lock-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const SMALL = { tickers: 2, days: 30 };

test('a second writer of a dataset folder is refused and told who holds it; a dead holder’s lock is taken over with a message', async () => {
  await withTmp(async (dir) => {
    const out = join(dir, 'ds');
    const p = await holder(out);
    try {
      await assert.rejects(generateDataset({ ...SMALL, out }), (e) => {
        assert.ok(isCaplabError(e, 'output-locked'), String(e));
        assert.match(e.message, new RegExp(`in use: pid ${p.pid} on ${hostname()} \\(test holder`));
        return true;
      });
      assert.deepEqual(await readdir(dir), ['.ds.caplab-lock'], 'the refused writer left nothing');
    } finally {
      p.kill('SIGKILL');
      await once(p, 'exit');
    }
    // kill -9 left the lock file; the next writer sees its owner is gone.
    assert.deepEqual(await readdir(dir), ['.ds.caplab-lock']);
    const messages: string[] = [];
    await generateDataset({ ...SMALL, out, onProgress: (e: ProgressEvent) => void (e.kind === 'message' && messages.push(e.text)) });
    assert.ok(messages.some((m) => new RegExp(`took over the lock on .*ds left by pid ${p.pid} .* no longer running`).test(m)), messages.join('\n'));
    assert.deepEqual((await readdir(dir)).sort(), ['ds'], 'the lock is released when the write ends');
  });
});

test('a second search (a --resume or a --force) on a running experiment folder is refused, naming the holder', async () => {
  await withTmp(async (dir) => {
    const data = join(dir, 'data');
    await mkdir(data);
    await writeTinyDataset(data);
    const out = join(dir, 'exp');
    await runSearch({ data, out, executor: fakeExecutor(), epochs: 1, trials: 3 });
    const p = await holder(out);
    try {
      for (const extra of [{ resume: true }, { force: true }]) {
        const ex = fakeExecutor();
        await assert.rejects(runSearch({ data, out, executor: ex, epochs: 1, trials: 3, ...extra }), (e) => {
          assert.ok(isCaplabError(e, 'output-locked'), String(e));
          assert.match(e.message, new RegExp(`pid ${p.pid}`));
          assert.match(e.message, new RegExp(lockPathFor(out).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
          return true;
        });
        assert.equal(ex.ran.length, 0, 'no trial ran');
      }
    } finally {
      p.stdin!.end();
      await once(p, 'exit');
    }
    const again = await runSearch({ data, out, executor: fakeExecutor(), epochs: 1, trials: 3, resume: true });
    assert.equal(again.skipped, 3);
  });
});

test('a --resume started while a search runs in the same folder is refused, and no trial is recorded twice', async () => {
  await withTmp(async (dir) => {
    const data = join(dir, 'data');
    await mkdir(data);
    await writeTinyDataset(data);
    const out = join(dir, 'exp');
    const b = fakeExecutor();
    let second: PromiseSettledResult<unknown> | undefined;
    const a = fakeExecutor();
    // The first search starts its trials only once the second has run its course beside it.
    const first: typeof a = {
      ...a,
      async run(specs, hooks) {
        [second] = await Promise.allSettled([runSearch({ data, out, executor: b, epochs: 1, trials: 6, resume: true })]);
        return a.run(specs, hooks);
      },
    };
    const s = await runSearch({ data, out, executor: first, epochs: 1, trials: 6 });
    assert.equal(s.ok, 6);
    assert.equal(second?.status, 'rejected');
    const reason = (second as PromiseRejectedResult).reason;
    assert.ok(isCaplabError(reason, 'output-locked'), String(reason));
    assert.equal(b.ran.length, 0);
    const lines = (await readTrialLines(out)).records;
    assert.equal(lines.length, 6);
    assert.equal(new Set(lines.map((r) => r.trialId)).size, 6, 'each trial once');
  });
});

test('a lock whose holder runs on another host is never broken, and the message says how to clear it', async () => {
  await withTmp(async (dir) => {
    const out = join(dir, 'ds');
    await writeFile(lockPathFor(out), JSON.stringify({ pid: 1, host: 'elsewhere-node-7', what: 'data generate', since: '2026-01-01T00:00:00.000Z' }));
    await assert.rejects(generateDataset({ ...SMALL, out }), (e) => {
      assert.ok(isCaplabError(e, 'output-locked'));
      assert.match(e.message, /pid 1 on elsewhere-node-7/);
      assert.match(e.message, /If that process is gone, remove .*\.ds\.caplab-lock/);
      return true;
    });
  });
});
