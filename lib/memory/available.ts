/**
 * How much memory a new process on this machine could really use: the kernel's MemAvailable,
 * or less when this process sits in a memory-limited cgroup (a container, a systemd slice).
 */
import { readFile } from 'node:fs/promises';
import { freemem } from 'node:os';
import { join } from 'node:path';
import { withDefaults } from '../util/defaults.ts';

export interface AvailableMemory {
  bytes: number;
  /** Where the figure came from, e.g. "/proc/meminfo MemAvailable" or "cgroup v2 memory.max − memory.current". */
  source: string;
}

export interface AvailableMemoryOptions {
  /** Default `/proc`. Tests point this and `cgroupRoot` at fixture folders. */
  procRoot?: string;
  /** Default `/sys/fs/cgroup`. */
  cgroupRoot?: string;
}

const defaults: Required<AvailableMemoryOptions> = { procRoot: '/proc', cgroupRoot: '/sys/fs/cgroup' };

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

/** A cgroup limit file holds bytes or "max"; v1 spells "no limit" as a number near 2^63. */
function limitValue(text: string | null): number | null {
  if (text === null) return null;
  const t = text.trim();
  if (t === 'max' || t === '') return null;
  const v = Number(t);
  return Number.isFinite(v) && v > 0 && v < 2 ** 60 ? v : null;
}

async function memAvailable(procRoot: string): Promise<number | null> {
  const text = await readText(join(procRoot, 'meminfo'));
  const kb = text && /^MemAvailable:\s+(\d+)\s*kB/m.exec(text)?.[1];
  return kb ? Number(kb) * 1024 : null;
}

/** Folders whose limits bind this process: its own cgroup and every ancestor, for v2 and v1. */
async function cgroupCandidates(procRoot: string, cgroupRoot: string): Promise<Array<{ dir: string; v: 1 | 2 }>> {
  const text = (await readText(join(procRoot, 'self', 'cgroup'))) ?? '';
  const out: Array<{ dir: string; v: 1 | 2 }> = [];
  const ancestors = (base: string, path: string, v: 1 | 2) => {
    const parts = path.split('/').filter(Boolean);
    for (let i = parts.length; i >= 0; i--) out.push({ dir: join(base, ...parts.slice(0, i)), v });
  };
  for (const line of text.split('\n')) {
    const [, controllers, path] = line.split(':');
    if (path === undefined) continue;
    if (controllers === '') ancestors(cgroupRoot, path, 2);
    else if (controllers.split(',').includes('memory')) ancestors(join(cgroupRoot, 'memory'), path, 1);
  }
  // Inside a container the cgroup namespace root is the container's own cgroup.
  out.push({ dir: cgroupRoot, v: 2 }, { dir: join(cgroupRoot, 'memory'), v: 1 });
  return out;
}

async function cgroupHeadroom(procRoot: string, cgroupRoot: string): Promise<AvailableMemory | null> {
  let best: AvailableMemory | null = null;
  for (const { dir, v } of await cgroupCandidates(procRoot, cgroupRoot)) {
    const [limitFile, usageFile] = v === 2 ? ['memory.max', 'memory.current'] : ['memory.limit_in_bytes', 'memory.usage_in_bytes'];
    const limit = limitValue(await readText(join(dir, limitFile)));
    if (limit === null) continue;
    const usage = Number((await readText(join(dir, usageFile)))?.trim() ?? 0) || 0;
    const bytes = Math.max(0, limit - usage);
    if (!best || bytes < best.bytes) best = { bytes, source: `cgroup v${v} ${join(dir, limitFile)} − ${usageFile}` };
  }
  return best;
}

/**
 * The memory a child process could use now: /proc/meminfo `MemAvailable`, or the headroom
 * under this process's cgroup memory limit (limit − usage) when that is lower. Falls back to
 * `os.freemem()` where /proc is missing.
 */
export async function availableMemory(options: AvailableMemoryOptions = {}): Promise<AvailableMemory> {
  const o = withDefaults(defaults, options);
  const avail = await memAvailable(o.procRoot);
  const machine: AvailableMemory = avail !== null ? { bytes: avail, source: '/proc/meminfo MemAvailable' } : { bytes: freemem(), source: 'os.freemem()' };
  const cgroup = await cgroupHeadroom(o.procRoot, o.cgroupRoot);
  return cgroup && cgroup.bytes < machine.bytes ? cgroup : machine;
}
