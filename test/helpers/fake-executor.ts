/**
 * An executor that runs no worker: each trial "trains" instantly with the losses given (default
 * one epoch of 1/hidden), or fails with the class `fail` returns. It yields to the event loop between trials, as a real one does.
 */
import { localProvenance } from '../../lib/provenance.ts';
import type { Executor, ExecHooks, Spec, SpecResult } from '../../lib/exec/types.ts';
import type { TrialPayload } from '../../lib/search/trial-worker.ts';
import type { FailureCode } from '../../lib/spec/types.ts';

export interface FakeOptions {
  fail?: (spec: Spec<TrialPayload>) => FailureCode | undefined;
  /** Validation loss per epoch, reported through onSpecProgress (which may stop the trial). Default one epoch of 1/hidden. */
  losses?: (spec: Spec<TrialPayload>) => number[];
  /** Abort (as Ctrl-C would) once this many specs have finished. */
  abortAfter?: number;
  /**
   * Awaited after each trial's result is reported, before the next starts (or the search is
   * aborted): a real trial takes seconds, time enough for the search to handle the last one.
   */
  settled?: (id: string) => Promise<void>;
}

export function fakeExecutor(options: FakeOptions = {}): Executor & { ran: string[] } {
  const ran: string[] = [];
  return {
    name: 'sequential',
    ran,
    async run(specs: Spec[], hooks: ExecHooks = {}) {
      const results: SpecResult[] = [];
      for (const raw of specs) {
        await new Promise((r) => setImmediate(r));
        const spec = raw as Spec<TrialPayload>;
        const at = new Date().toISOString();
        const base = { id: spec.id, worker: 'fake-0', startedAt: at, finishedAt: at, seconds: 0.01, provenance: localProvenance('sequential', 'fake') };
        let result: SpecResult;
        if (hooks.signal?.aborted || (options.abortAfter !== undefined && results.length >= options.abortAfter)) {
          result = { ...base, status: 'stopped', failure: 'cancelled', reason: 'cancelled' };
        } else {
          ran.push(spec.id);
          hooks.onEvent?.({ kind: 'started', id: spec.id, worker: 'fake-0', at });
          const failure = options.fail?.(spec);
          result = failure ? { ...base, status: 'failed', failure, reason: `${failure} in ${spec.id}` } : train(spec, base, hooks, options);
        }
        results.push(result);
        hooks.onEvent?.({ kind: 'finished', result });
        if (options.settled && hooks.signal && !hooks.signal.aborted) {
          const signal = hooks.signal;
          await Promise.race([options.settled(spec.id), new Promise((r) => signal.addEventListener('abort', r, { once: true }))]);
        }
      }
      return results;
    },
  };
}

/** A trial's epochs as the losses say, stopped early when the search's onSpecProgress says 'stop'. */
function train(spec: Spec<TrialPayload>, base: Omit<SpecResult, 'status'>, hooks: ExecHooks, options: FakeOptions): SpecResult {
  const losses = options.losses?.(spec) ?? [1 / (spec.payload.config.hidden?.[0] ?? 1)];
  const epochs = [];
  let stopped = false;
  for (let i = 0; i < losses.length && !stopped; i++) {
    const e = { epoch: i + 1, loss: losses[i], valLoss: losses[i], seconds: 0.001 };
    epochs.push(e);
    stopped = hooks.onSpecProgress?.(spec.id, e) === 'stop';
  }
  const m = { rows: 10, mse: epochs[epochs.length - 1].valLoss, rmse: 0, mae: 0, r2: 0, directionalAccuracy: 0.5 };
  const metrics = { ...m, baselines: { zero: m, trainMean: m } };
  return {
    ...base,
    status: stopped ? 'stopped' : 'ok',
    ...(stopped ? { failure: 'early-stop' as const, reason: 'stopped early by the scheduler' } : {}),
    result: { backend: 'fake', epochs, bestEpoch: 1, seconds: 0.001, rows: 10, rowsPerSecond: 1, metrics: { validation: metrics, test: metrics } },
  };
}
