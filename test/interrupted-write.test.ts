/**
 * An interrupted write leaves nothing behind: SIGINT or SIGTERM removes the temp folder (and the
 * lock); what kill -9 leaves is removed by the next write beside it, which says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '..', 'bin', 'caplab.js');
const ATOMIC = new URL('../lib/util/atomic.ts', import.meta.url).href;

/** A process writing `target` through writeDirAtomic that stops half way, until a signal comes. */
async function halfWritten(target: string) {
  const code = `const { writeDirAtomic } = await import(${JSON.stringify(ATOMIC)});
    const { writeFile } = await import('node:fs/promises');
    await writeDirAtomic(${JSON.stringify(target)}, async (tmp) => {
      await writeFile(tmp + '/part.npy', 'half');
      console.log('writing ' + tmp);
      await new Promise(() => setInterval(() => {}, 1 << 30));
    });`;
  const p = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  while (!out.includes('writing ')) await once(p.stdout, 'data');
  return { p, tmp: out.trim().split('writing ')[1] };
}

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'caplab-interrupt-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} during a dataset write removes its temp folder and its lock`, async () => {
    await withTmp(async (dir) => {
      const { p, tmp } = await halfWritten(join(dir, 'ds'));
      assert.deepEqual((await readdir(dir)).sort(), ['.ds.caplab-lock', tmp.split('/').at(-1)!].sort());
      p.kill(signal);
      const [code] = await once(p, 'exit');
      assert.equal(code, signal === 'SIGINT' ? 130 : 143);
      assert.deepEqual(await readdir(dir), [], 'no temp folder, no lock, no output');
    });
  });
}

test('a write killed with -9 leaves its temp folder; the next write beside it removes it and says so', async () => {
  await withTmp(async (dir) => {
    const { p, tmp } = await halfWritten(join(dir, 'a'));
    p.kill('SIGKILL');
    await once(p, 'exit');
    // A temp folder from a caplab before these names, for the same output.
    await mkdir(join(dir, '.b.tmp-AbC123'));
    await writeFile(join(dir, '.b.tmp-AbC123', 'x-00000.npy'), 'old');
    // One that belongs to a live process is left alone.
    const live = `.c.caplab-tmp.${hostname().replace(/[^A-Za-z0-9-]/g, '-')}.${process.pid}.00000000`;
    await mkdir(join(dir, live));
    const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
      const c = spawn(process.execPath, [BIN, 'data', 'generate', '--out', join(dir, 'b'), '--tickers', '2', '--days', '30'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      c.stderr.on('data', (d) => (stderr += d));
      c.on('close', (code) => resolve({ code: code ?? -1, stderr }));
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`removed stale temp folder .*${tmp.split('/').at(-1)!.replace(/\./g, '\\.')} \\(left by pid ${p.pid}, which is no longer running\\)`));
    assert.match(r.stderr, /removed stale temp folder .*\.b\.tmp-AbC123 \(left by an interrupted write of an earlier caplab\)/);
    assert.deepEqual((await readdir(dir)).sort(), ['.a.caplab-lock', live, 'b'].sort());
  });
});

test('caplab data generate stopped by Ctrl-C part way leaves no temp folder', async () => {
  await withTmp(async (dir) => {
    // Four shard groups: the signal comes when the first is on disk and three are to go.
    const c = spawn(process.execPath, [BIN, 'data', 'generate', '--out', join(dir, 'ds'), '--tickers', '1000', '--days', '1000'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr.on('data', (d) => (stderr += d));
    while (!/\] [1-9]\d*\/12/.test(stderr)) await once(c.stderr, 'data');
    c.kill('SIGINT');
    const [code] = await once(c, 'exit');
    assert.equal(code, 130, stderr);
    assert.deepEqual(await readdir(dir), []);
  });
});
