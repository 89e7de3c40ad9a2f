/**
 * The architecture's one idea: a unit of work is a serializable spec; an executor runs specs.
 * The same worker entry point (`caplab worker`) runs a spec under every executor, so a local and
 * a cloud run differ only in where the spec ran.
 */
import type { Provenance } from '../provenance.ts';

/** A unit of work. Must survive JSON.stringify/parse unchanged. */
export interface Spec<P = unknown> {
  /** Stable id (e.g. a trial id); results are keyed by it, and resume skips ids already done. */
  id: string;
  /** What the worker does with it: 'trial' trains one config; 'noop' measures overhead; others by module. */
  kind: string;
  payload: P;
}

export type SpecStatus = 'ok' | 'failed' | 'stopped';

export interface SpecResult<R = unknown> {
  id: string;
  status: SpecStatus;
  /** Why it failed or stopped, in words a person can act on (e.g. "OOMKilled: pod memory limit 512Mi"). */
  reason?: string;
  /** Failure class for machines: 'oom', 'crash', 'bad-config', 'timeout', 'image-pull', 'unschedulable', 'cancelled', 'early-stop'. */
  failure?: string;
  result?: R;
  /** Which worker ran it: "seq-0", "pool-3", a pod name. */
  worker: string;
  startedAt: string;
  finishedAt: string;
  seconds: number;
  provenance: Provenance;
}

/** What an executor tells while it works. */
export type ExecEvent =
  | { kind: 'started'; id: string; worker: string; at: string }
  | { kind: 'progress'; id: string; worker: string; data: unknown }
  | { kind: 'finished'; result: SpecResult };

export interface ExecHooks {
  onEvent?: (event: ExecEvent) => void;
  /** Abort: running specs are ended, and their results come back as status 'stopped'. */
  signal?: AbortSignal;
  /**
   * Called with each progress message a running spec reports (e.g. per-epoch validation loss);
   * return 'stop' to end that spec early (it then finishes as 'stopped', failure 'early-stop').
   */
  onSpecProgress?: (id: string, data: unknown) => 'stop' | void;
}

export interface Executor {
  readonly name: 'sequential' | 'pool' | 'kubernetes';
  /** Runs every spec; resolves with one result per spec (never rejects for a failing spec). */
  run(specs: Spec[], hooks?: ExecHooks): Promise<SpecResult[]>;
}
