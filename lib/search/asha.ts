/**
 * Early stopping of poor trials, ASHA-style (asynchronous successive halving, stopping variant):
 * rungs sit at epochs minEpochs·η^k; when a trial reaches a rung its validation loss joins that
 * rung's list, and a trial outside the best 1/η of the list so far is stopped. Trials never wait
 * for one another, so it works the same under every executor.
 */
import { CaplabError } from '../errors.ts';
import { withDefaults } from '../util/defaults.ts';

export interface EarlyStopOptions {
  /** η: at each rung only the best 1/η of the trials seen there go on. Default 3. */
  reductionFactor?: number;
  /** The first rung, in epochs. Default 1. */
  minEpochs?: number;
  /** Explicit rung epochs (overrides minEpochs·η^k). Default: minEpochs·η^k below the trials' epochs. */
  rungs?: number[];
  /**
   * A rung stops nobody until this many trials have reported there, so the first few trials are
   * not judged against one another alone. Default: reductionFactor.
   */
  minTrialsPerRung?: number;
}

const defaults = { reductionFactor: 3, minEpochs: 1 };

export interface EarlyStopDecision {
  trialId: string;
  epoch: number;
  valLoss: number;
  /** Rank among the values at the rung (0 = best) and how many there were. */
  rank: number;
  seen: number;
  keep: number;
}

export interface EarlyStopper {
  readonly rungs: number[];
  /** A trial's validation loss after an epoch: 'stop' when it falls in the worst fraction at a rung. */
  report(trialId: string, epoch: number, valLoss: number): 'stop' | 'continue';
  /** Adds a past result at a rung without deciding anything (resume). */
  record(trialId: string, epoch: number, valLoss: number): void;
  /** Every stop so far, with the numbers behind it. */
  readonly stops: EarlyStopDecision[];
}

/** The rungs for trials of `maxEpochs`: minEpochs·η^k strictly below maxEpochs (a rung at the end stops nothing). */
export function earlyStopRungs(maxEpochs: number, options: EarlyStopOptions = {}): number[] {
  const o = withDefaults(defaults, options);
  if (options.rungs) return [...new Set(options.rungs)].filter((r) => r < maxEpochs).sort((a, b) => a - b);
  const rungs: number[] = [];
  for (let r = o.minEpochs; r < maxEpochs; r *= o.reductionFactor) rungs.push(r);
  return rungs;
}

export function checkEarlyStopOptions(options: EarlyStopOptions): void {
  const o = withDefaults(defaults, options);
  if (!(Number.isInteger(o.reductionFactor) && o.reductionFactor >= 2)) {
    throw new CaplabError('usage', `Early stopping reductionFactor must be an integer ≥ 2, got ${o.reductionFactor}.`);
  }
  if (!(Number.isInteger(o.minEpochs) && o.minEpochs >= 1)) {
    throw new CaplabError('usage', `Early stopping minEpochs must be an integer ≥ 1, got ${o.minEpochs}.`);
  }
  if (options.rungs && !options.rungs.every((r) => Number.isInteger(r) && r >= 1)) {
    throw new CaplabError('usage', `Early stopping rungs must be positive integers, got ${JSON.stringify(options.rungs)}.`);
  }
}

export function createEarlyStopper(maxEpochs: number, options: EarlyStopOptions = {}): EarlyStopper {
  checkEarlyStopOptions(options);
  const eta = options.reductionFactor ?? defaults.reductionFactor;
  const minSeen = options.minTrialsPerRung ?? eta;
  const rungs = earlyStopRungs(maxEpochs, options);
  const atRung = new Map<number, Map<string, number>>(rungs.map((r) => [r, new Map()]));
  const stops: EarlyStopDecision[] = [];
  // A diverged trial (NaN loss) ranks last.
  const clean = (v: number) => (Number.isFinite(v) ? v : Infinity);
  const record = (trialId: string, epoch: number, valLoss: number) => {
    const seen = atRung.get(epoch);
    if (seen && !seen.has(trialId)) seen.set(trialId, clean(valLoss));
  };
  return {
    rungs,
    stops,
    record,
    report(trialId, epoch, valLoss) {
      const seen = atRung.get(epoch);
      if (!seen) return 'continue';
      record(trialId, epoch, valLoss);
      const mine = seen.get(trialId)!;
      if (seen.size < minSeen) return 'continue';
      const values = [...seen.values()];
      const rank = values.filter((v) => v < mine).length;
      const keep = Math.ceil(values.length / eta);
      if (rank < keep) return 'continue';
      stops.push({ trialId, epoch, valLoss, rank, seen: values.length, keep });
      return 'stop';
    },
  };
}

/**
 * Runs the stopper over whole loss curves, trials reporting one after another (as the sequential
 * executor does): for each trial, the epoch it was stopped at, or null when it ran to the end.
 */
export function simulateEarlyStopping(curves: Record<string, number[]>, options: EarlyStopOptions = {}): Record<string, number | null> {
  const maxEpochs = Math.max(0, ...Object.values(curves).map((c) => c.length));
  const stopper = createEarlyStopper(maxEpochs, options);
  const out: Record<string, number | null> = {};
  for (const [id, curve] of Object.entries(curves)) {
    out[id] = null;
    for (let e = 1; e <= curve.length; e++) {
      if (stopper.report(id, e, curve[e - 1]) === 'stop') {
        out[id] = e;
        break;
      }
    }
  }
  return out;
}
