import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { availableMemory } from '../lib/memory/available.ts';
import { parseProcStatus, readProcMemory } from '../lib/exec/proc.ts';

const GiB = 1024 ** 3;

async function fakeRoots(files: Record<string, string>): Promise<{ root: string; procRoot: string; cgroupRoot: string }> {
  const root = await mkdtemp(join(tmpdir(), 'caplab-avail-'));
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(join(root, rel, '..'), { recursive: true });
    await writeFile(join(root, rel), text);
  }
  return { root, procRoot: join(root, 'proc'), cgroupRoot: join(root, 'cgroup') };
}

const meminfo = (kb: number) => `MemTotal:       25165824 kB\nMemFree:         1000000 kB\nMemAvailable:   ${kb} kB\n`;

test('takes MemAvailable when no cgroup limits this process', async () => {
  const f = await fakeRoots({ 'proc/meminfo': meminfo(8 * 1024 * 1024), 'proc/self/cgroup': '0::/user.slice\n', 'cgroup/user.slice/memory.max': 'max\n' });
  try {
    const a = await availableMemory(f);
    assert.equal(a.bytes, 8 * GiB);
    assert.match(a.source, /MemAvailable/);
  } finally {
    await rm(f.root, { recursive: true, force: true });
  }
});

test('takes the headroom under a cgroup v2 memory.max when it is lower', async () => {
  const f = await fakeRoots({
    'proc/meminfo': meminfo(20 * 1024 * 1024),
    'proc/self/cgroup': '0::/pod/ctr\n',
    'cgroup/pod/memory.max': String(6 * GiB),
    'cgroup/pod/memory.current': String(1 * GiB),
    'cgroup/pod/ctr/memory.max': 'max',
  });
  try {
    const a = await availableMemory(f);
    assert.equal(a.bytes, 5 * GiB);
    assert.match(a.source, /cgroup v2 .*memory\.max/);
  } finally {
    await rm(f.root, { recursive: true, force: true });
  }
});

test('reads a cgroup v1 limit and ignores v1 "no limit"', async () => {
  const f = await fakeRoots({
    'proc/meminfo': meminfo(20 * 1024 * 1024),
    'proc/self/cgroup': '4:memory:/box\n0::/\n',
    'cgroup/memory/box/memory.limit_in_bytes': String(3 * GiB),
    'cgroup/memory/box/memory.usage_in_bytes': String(GiB),
    'cgroup/memory/memory.limit_in_bytes': '9223372036854771712',
  });
  try {
    assert.equal((await availableMemory(f)).bytes, 2 * GiB);
  } finally {
    await rm(f.root, { recursive: true, force: true });
  }
});

test('reads this machine without failing', async () => {
  const a = await availableMemory();
  assert.ok(a.bytes > 0);
});

test('parses VmRSS and VmHWM from /proc status and reads this process', async () => {
  assert.deepEqual(parseProcStatus('Name:\tnode\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n'), { rssBytes: 1024 * 1024, hwmBytes: 2048 * 1024 });
  assert.equal(parseProcStatus('Name:\tzombie\nState:\tZ\n'), null);
  const me = await readProcMemory(process.pid);
  assert.ok(me && me.rssBytes > 0 && me.hwmBytes >= me.rssBytes);
  assert.equal(await readProcMemory(2 ** 30), null);
});
