/**
 * The contracts every layer shares, at the bottom of lib/: a unit of work is a serializable
 * spec; an executor runs specs; the same worker entry (`caplab worker`) runs a spec under every
 * executor, so a local and a cloud run differ only in where the spec ran. Executors, cluster code
 * and workloads import these; this module imports nothing of theirs.
 */
import type { Provenance } from '../provenance.ts';
import type { OomKind } from './oom.ts';

/** A unit of work. Must survive JSON.stringify/parse unchanged. */
export interface Spec<P = unknown, K extends string = string> {
  /** Stable id (e.g. a trial id); results are keyed by it, and resume skips ids already done. */
  id: string;
  /** What the worker does with it ('trial', 'probe', 'rank', 'noop'): the worker entry's registry maps it to a module. */
  kind: K;
  payload: P;
}

export type SpecStatus = 'ok' | 'failed' | 'stopped';

/**
 * Why a spec failed or stopped, for machines:
 * - 'oom': out of memory (see lib/spec/oom.ts for the kinds); 'over-budget': killed by its runner
 *   for going over a memory budget it was given;
 * - 'crash': any other failure; 'bad-config': the spec can never succeed (not worth a retry);
 * - 'timeout', 'image-pull', 'unschedulable', 'create-failed', 'disrupted', 'job-deleted': the cluster's verdicts;
 * - 'cancelled', 'early-stop', 'dry-run': the run ended it on purpose.
 */
export type FailureCode =
  | 'oom'
  | 'over-budget'
  | 'crash'
  | 'bad-config'
  | 'timeout'
  | 'image-pull'
  | 'unschedulable'
  | 'create-failed'
  | 'disrupted'
  | 'job-deleted'
  | 'cancelled'
  | 'early-stop'
  | 'dry-run';

export interface SpecResult<R = unknown> {
  id: string;
  status: SpecStatus;
  /** Why it failed or stopped, in words a person can act on (e.g. "OOMKilled: pod memory limit 512Mi"). */
  reason?: string;
  /** Failure class for machines. */
  failure?: FailureCode;
  /** For failure 'oom': which way it ran out (lib/spec/oom.ts). */
  oom?: OomKind;
  result?: R;
  /** Which worker ran it: "seq-0", "pool-3", a pod name. */
  worker: string;
  startedAt: string;
  finishedAt: string;
  seconds: number;
  provenance: Provenance;
  /** How the worker process ended, where the executor saw it (local children). */
  exit?: { code: number | null; signal: string | null };
  /** The worker's highest resident memory, where the executor measured it (local children with a memory watch). */
  peakRssBytes?: number;
  /** Who held the worker to its memory budget: the kernel through a memory cgroup, or the executor's RSS watch. */
  memoryEnforcement?: 'cgroup' | 'rss-watch';
}

/** What a running spec can do: report progress, notice it should stop, use a scratch folder. */
export interface WorkerContext {
  /** Sends a progress message to whoever runs the spec (one JSON line on stdout, tagged). */
  report(data: unknown): void;
  /** Aborted when the executor asks the spec to stop (early stopping, cancel, Ctrl-C). */
  signal: AbortSignal;
  /** A scratch folder the spec may use (e.g. to regenerate a synthetic dataset). */
  scratchDir: string;
}

/** What a workload module exports as `runSpec`: runs one spec of its kind and returns its result. */
export type SpecRunner<S extends Spec = Spec> = (spec: S, ctx: WorkerContext) => Promise<unknown>;
