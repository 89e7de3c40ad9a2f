import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { detectCgroups, MemoryCgroup } from '../k8s/local/node/cgroup.ts';
import { startContainer } from '../k8s/local/node/container.ts';

const LIMIT = 96 * 2 ** 20;
// Keeps allocating touched memory until something stops it.
const HOG = ['-e', 'const a = []; for (;;) a.push(Buffer.alloc(1 << 20).fill(1));'];
const support = detectCgroups();

function run(args: string[], o: { cgroup?: MemoryCgroup; rssLimit?: number }) {
  let out = '';
  const p = startContainer({ cmd: { file: process.execPath, args }, env: { PATH: process.env.PATH ?? '' }, cwd: process.cwd(), ...o, output: (t) => (out += t) });
  return p.exited.then((exit) => ({ ...exit, out }));
}

test('a container over its memory limit is OOM-killed by the kernel inside its cgroup (exit 137), and the cgroup goes after', { skip: support.kind === 'none' ? `no memory cgroup here: ${support.kind === 'none' ? support.why : ''}` : false }, async () => {
  if (support.kind === 'none') return;
  const cg = new MemoryCgroup(support, `caplab-test-${process.pid}`, LIMIT);
  const exit = await run(HOG, { cgroup: cg });
  assert.equal(exit.exitCode, 137);
  assert.equal(exit.oomKilled, true);
  assert.ok((cg.peakBytes() ?? LIMIT) <= LIMIT + 2 ** 20, 'the kernel held it at the limit');
  await cg.remove();
  assert.equal(existsSync(cg.path), false);
});

test('a container under its memory limit exits normally and is not reported as OOM-killed', { skip: support.kind === 'none' }, async () => {
  if (support.kind === 'none') return;
  const cg = new MemoryCgroup(support, `caplab-test-ok-${process.pid}`, LIMIT);
  const exit = await run(['-e', 'console.log(Buffer.alloc(8 << 20).fill(1).length)'], { cgroup: cg });
  await cg.remove();
  assert.deepEqual({ code: exit.exitCode, oom: exit.oomKilled, out: exit.out.trim() }, { code: 0, oom: false, out: String(8 << 20) });
});

test('a child OOM-killed in the cgroup while the main process exits 0 is reported OOM-killed with exit 0, as a runtime does', { skip: support.kind === 'none' }, async () => {
  if (support.kind === 'none') return;
  const cg = new MemoryCgroup(support, `caplab-test-child-${process.pid}`, LIMIT);
  // The parent outlives its hog child, prints how the child ended and exits 0 itself.
  const parent = `const r = require('node:child_process').spawnSync(process.execPath, ['-e', ${JSON.stringify(HOG[1])}]); console.log(r.signal); process.exit(0);`;
  const exit = await run(['-e', parent], { cgroup: cg });
  await cg.remove();
  assert.deepEqual({ code: exit.exitCode, oom: exit.oomKilled, childSignal: exit.out.trim() }, { code: 0, oom: true, childSignal: 'SIGKILL' });
});

test('without a cgroup, watching RSS stops a container over its limit and reports it as OOM-killed', async () => {
  const exit = await run(HOG, { rssLimit: LIMIT });
  assert.equal(exit.exitCode, 137);
  assert.equal(exit.oomKilled, true);
});
