/**
 * An executor that runs no worker: each trial "trains" instantly with a loss of 1/hidden, or fails
 * with the class `fail` returns. It yields to the event loop between trials, as a real one does.
 */
import { localProvenance } from '../../lib/provenance.ts';
import type { Executor, ExecHooks, Spec, SpecResult } from '../../lib/exec/types.ts';
import type { TrialPayload } from '../../lib/search/trial-worker.ts';
import type { FailureCode } from '../../lib/spec/types.ts';

export interface FakeOptions {
  fail?: (spec: Spec<TrialPayload>) => FailureCode | undefined;
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
        if (hooks.signal?.aborted) {
          result = { ...base, status: 'stopped', failure: 'cancelled', reason: 'cancelled' };
        } else {
          ran.push(spec.id);
          hooks.onEvent?.({ kind: 'started', id: spec.id, worker: 'fake-0', at });
          const failure = options.fail?.(spec);
          const loss = 1 / (spec.payload.config.hidden?.[0] ?? 1);
          const m = { rows: 10, mse: loss, rmse: 0, mae: 0, r2: 0, directionalAccuracy: 0.5 };
          const metrics = { ...m, baselines: { zero: m, trainMean: m } };
          result = failure
            ? { ...base, status: 'failed', failure, reason: `${failure} in ${spec.id}` }
            : { ...base, status: 'ok', result: { backend: 'fake', epochs: [{ epoch: 1, loss, valLoss: loss }], bestEpoch: 1, seconds: 0.001, rows: 10, rowsPerSecond: 1, metrics: { validation: metrics, test: metrics } } };
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
