/**
 * The executor interface: an executor runs specs (lib/spec/types.ts) and tells what happens as
 * it works. Spec and SpecResult are re-exported here because every executor speaks in them.
 */
import type { Spec, SpecResult } from '../spec/types.ts';

export type { Spec, SpecResult, SpecStatus, FailureCode } from '../spec/types.ts';

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
