/**
 * Holds a local worker to a memory budget the way a container limit does. Where a memory cgroup
 * can be made (lib/util/memory-cgroup.ts), the child runs inside one sized to the budget and the
 * kernel OOM-kills it exactly as it would kill a pod; otherwise the watch samples /proc every few
 * tens of milliseconds and SIGKILLs the process the moment its peak goes over. Either way it
 * measures: VmHWM is the kernel's own high-water mark, so no sample misses a peak between reads.
 */
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { withDefaults } from '../util/defaults.ts';
import { detectCgroups, MemoryCgroup, type CgroupSupport } from '../util/memory-cgroup.ts';
import { readProcMemory } from './proc.ts';

/** Who holds the child to its budget: the kernel (a memory cgroup) or this process's RSS watch. */
export type MemoryEnforcement = 'cgroup' | 'rss-watch';

export interface MemoryWatchOptions {
  /** SIGKILL the worker when its resident memory goes over this many bytes. Default: no budget (only measured). */
  budgetBytes?: number;
  /** Sampling interval. Default 50 ms. */
  sampleMs?: number;
  /** Called with the peak so far (and resident memory now), at most every `reportMs`. */
  onSample?: (peakBytes: number, rssBytes: number) => void;
  /** Default 250 ms. */
  reportMs?: number;
  /**
   * How a budget is enforced: 'auto' (default) a memory cgroup where one can be made, else the RSS
   * watch; 'rss-watch' always the watch.
   */
  enforce?: 'auto' | 'rss-watch';
}

export interface MemoryWatch {
  /** Highest resident memory seen so far. */
  readonly peakBytes: number;
  /** True once the watch killed the process for going over the budget. */
  readonly overBudget: boolean;
  readonly budgetBytes: number | undefined;
  /** How the budget is enforced (undefined without a budget), and why not by a cgroup when not. */
  readonly enforcement: MemoryEnforcement | undefined;
  readonly noCgroupWhy: string | undefined;
  /** True once the kernel OOM-killed a process in the child's cgroup (read after the child exits). */
  readonly cgroupOomKilled: boolean;
  /** Stops sampling; with a cgroup, reads its OOM count and removes it. Call once the child has exited. */
  stop(): Promise<void>;
}

const defaults = { sampleMs: 50, reportMs: 250, enforce: 'auto' as 'auto' | 'rss-watch' };

let support: CgroupSupport | undefined;
let made = 0;

/** How a budget will be enforced on this machine ('auto'), and why not by a cgroup when not. */
export function budgetEnforcement(): { by: MemoryEnforcement; why?: string } {
  support ??= detectCgroups();
  return support.kind === 'none' ? { by: 'rss-watch', why: support.why } : { by: 'cgroup' };
}

/** A memory cgroup of `limitBytes` holding `pid`, or why none could be made. */
export function cgroupFor(pid: number, limitBytes: number): { cgroup: MemoryCgroup } | { why: string } {
  support ??= detectCgroups();
  if (support.kind === 'none') return { why: support.why };
  try {
    const cgroup = new MemoryCgroup(support, `caplab-run-${process.pid}-${++made}`, limitBytes);
    writeFileSync(cgroup.procs, String(pid));
    return { cgroup };
  } catch (e) {
    return { why: (e as Error).message };
  }
}

/**
 * Watches `child` from now on. `spawned`: the child is already running its program (a reused
 * worker), so sample at once; otherwise the first sample waits for the 'spawn' event, as before
 * it the process is still a copy of this one.
 */
export function watchMemory(child: ChildProcess, options: MemoryWatchOptions, spawned = false): MemoryWatch {
  const o = withDefaults(defaults, options);
  let peak = 0;
  let overBudget = false;
  let sampling = false;
  let lastReport = 0;
  let cgroupOomKilled = false;
  // The child joins its cgroup right after spawn, before it has loaded anything worth counting.
  const placed = o.budgetBytes !== undefined && o.enforce !== 'rss-watch' && child.pid !== undefined ? cgroupFor(child.pid, o.budgetBytes) : undefined;
  const cgroup = placed && 'cgroup' in placed ? placed.cgroup : undefined;
  const noCgroupWhy = placed && 'why' in placed ? placed.why : undefined;
  const sample = async () => {
    if (sampling || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    sampling = true;
    try {
      const mem = await readProcMemory(child.pid);
      if (!mem) return;
      peak = Math.max(peak, mem.hwmBytes);
      if (!cgroup && o.budgetBytes !== undefined && peak > o.budgetBytes && !overBudget) {
        overBudget = true;
        child.kill('SIGKILL');
      }
      const now = performance.now();
      if (o.onSample && now - lastReport >= o.reportMs) {
        lastReport = now;
        o.onSample(peak, mem.rssBytes);
      }
    } finally {
      sampling = false;
    }
  };
  const timer = setInterval(() => void sample(), o.sampleMs);
  if (spawned) void sample();
  else child.once('spawn', () => void sample());
  return {
    get peakBytes() {
      return peak;
    },
    get overBudget() {
      return overBudget;
    },
    budgetBytes: o.budgetBytes,
    enforcement: o.budgetBytes === undefined ? undefined : cgroup ? 'cgroup' : 'rss-watch',
    noCgroupWhy,
    get cgroupOomKilled() {
      return cgroupOomKilled;
    },
    stop: async () => {
      clearInterval(timer);
      if (!cgroup) return;
      cgroupOomKilled = cgroup.oomKills() > 0;
      await cgroup.remove();
    },
  };
}
