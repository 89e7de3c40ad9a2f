/**
 * Watches a local worker's memory the way a container limit would: samples /proc every few tens
 * of milliseconds, and SIGKILLs the process the moment its peak goes over a budget. VmHWM is the
 * kernel's own high-water mark, so no sample can miss a peak between two reads.
 */
import type { ChildProcess } from 'node:child_process';
import { withDefaults } from '../util/defaults.ts';
import { readProcMemory } from './proc.ts';

export interface MemoryWatchOptions {
  /** SIGKILL the worker when its resident memory goes over this many bytes. Default: no budget (only measured). */
  budgetBytes?: number;
  /** Sampling interval. Default 50 ms. */
  sampleMs?: number;
  /** Called with the peak so far (and resident memory now), at most every `reportMs`. */
  onSample?: (peakBytes: number, rssBytes: number) => void;
  /** Default 250 ms. */
  reportMs?: number;
}

export interface MemoryWatch {
  /** Highest resident memory seen so far. */
  readonly peakBytes: number;
  /** True once the watch killed the process for going over the budget. */
  readonly overBudget: boolean;
  readonly budgetBytes: number | undefined;
  stop(): void;
}

const defaults = { sampleMs: 50, reportMs: 250 };

export function watchMemory(child: ChildProcess, options: MemoryWatchOptions): MemoryWatch {
  const o = withDefaults(defaults, options);
  let peak = 0;
  let overBudget = false;
  let sampling = false;
  let lastReport = 0;
  const sample = async () => {
    if (sampling || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    sampling = true;
    try {
      const mem = await readProcMemory(child.pid);
      if (!mem) return;
      peak = Math.max(peak, mem.hwmBytes);
      if (o.budgetBytes !== undefined && peak > o.budgetBytes && !overBudget) {
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
  child.once('spawn', () => void sample());
  return {
    get peakBytes() {
      return peak;
    },
    get overBudget() {
      return overBudget;
    },
    budgetBytes: o.budgetBytes,
    stop: () => clearInterval(timer),
  };
}
