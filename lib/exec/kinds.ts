/**
 * What a worker can do: spec kind → the module that runs it. Each module exports
 * `runSpec(spec, ctx)`; the worker entry (`caplab worker`) loads the module by kind, so adding a
 * kind never touches the executors.
 */
import type { Spec } from './types.ts';

export interface WorkerContext {
  /** Sends a progress message to whoever runs the spec (one JSON line on stdout, tagged). */
  report(data: unknown): void;
  /** Aborted when the executor asks the spec to stop (early stopping, cancel, Ctrl-C). */
  signal: AbortSignal;
  /** A scratch folder the spec may use (e.g. to regenerate a synthetic dataset). */
  scratchDir: string;
}

export type SpecRunner = (spec: Spec, ctx: WorkerContext) => Promise<unknown>;

export const SPEC_KINDS: Record<string, () => Promise<{ runSpec: SpecRunner }>> = {
  trial: () => import('../search/trial-worker.ts'),
  noop: () => import('./noop-worker.ts'),
  probe: () => import('../memory/probe-worker.ts'),
  rank: () => import('../distributed/rank-worker.ts'),
};
