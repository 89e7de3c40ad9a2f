/**
 * Validation loss and final metrics when every rank holds a share of the validation and test
 * rows: each rank predicts its own rows and reduces them to sums (errors, absolute errors,
 * direction hits, and the targets' count, mean and squared deviations), the ranks gather those
 * in float64 and each combines them in rank order — the same numbers on every rank, equal to
 * one process's metrics over all rows up to float64 summation order. No rank ever holds the
 * other ranks' evaluation rows.
 */
import { predictSplit, EVAL_CHUNK_ROWS } from '../train/evaluate.ts';
import type { Scaler } from '../train/batches.ts';
import type { Mlp } from '../train/mlp.ts';
import type { Standardization } from '../train/scaling.ts';
import type { MetricsWithBaselines, RegressionMetrics, SplitArrays } from '../train/types.ts';
import { mergeMoments } from './collectives.ts';
import type { Group } from './group.ts';

export interface RankEvaluator {
  /** Validation MSE on standardized targets over every rank's rows (a collective: every rank calls it). */
  valLoss(mlp: Mlp): Promise<number>;
  /** Validation and test metrics in the target's own units over every rank's rows (a collective). */
  metrics(mlp: Mlp, stats: Standardization): Promise<{ validation: MetricsWithBaselines; test: MetricsWithBaselines }>;
}

/** Per predictor: squared errors, absolute errors, direction hits, rows with a direction to call. */
const SUMS = 4;
/** Per split: the targets' n, mean, squared deviations, then SUMS for the model, the zero and the train-mean baselines. */
const SPLIT_PARTS = 3 + 3 * SUMS;

/** Adds one predictor's sums over `y` into `out` at `at`; `pred` is per row or one constant. */
function addSums(y: Float32Array, n: number, pred: Float32Array | number, out: Float64Array, at: number): void {
  let sse = 0;
  let sae = 0;
  let hits = 0;
  let called = 0;
  for (let i = 0; i < n; i++) {
    const p = typeof pred === 'number' ? pred : pred[i];
    const t = y[i];
    const e = p - t;
    sse += e * e;
    sae += Math.abs(e);
    // As regressionMetrics: a zero target is no call; a zero prediction is half right.
    if (t !== 0) {
      called++;
      if (p === 0) hits += 0.5;
      else if (p > 0 === t > 0) hits += 1;
    }
  }
  out[at] = sse;
  out[at + 1] = sae;
  out[at + 2] = hits;
  out[at + 3] = called;
}

/** This rank's part of one split's metrics, written into `out` at `at`. */
function splitPart(split: SplitArrays, pred: Float32Array, trainMean: number, out: Float64Array, at: number): void {
  const n = split.rows;
  const y = split.y;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i];
  mean = n > 0 ? mean / n : 0;
  let m2 = 0;
  for (let i = 0; i < n; i++) m2 += (y[i] - mean) * (y[i] - mean);
  out[at] = n;
  out[at + 1] = mean;
  out[at + 2] = m2;
  addSums(y, n, pred, out, at + 3);
  addSums(y, n, 0, out, at + 3 + SUMS);
  addSums(y, n, trainMean, out, at + 3 + 2 * SUMS);
}

/** One predictor's metrics from the ranks' sums (in rank order) and the merged targets' squared deviations. */
function combined(parts: Float64Array[], at: number, n: number, sst: number): RegressionMetrics {
  let sse = 0;
  let sae = 0;
  let hits = 0;
  let called = 0;
  for (const p of parts) {
    sse += p[at];
    sae += p[at + 1];
    hits += p[at + 2];
    called += p[at + 3];
  }
  const mse = sse / n;
  return { rows: n, mse, rmse: Math.sqrt(mse), mae: sae / n, r2: sst > 0 ? 1 - sse / sst : NaN, directionalAccuracy: called > 0 ? hits / called : NaN };
}

function splitMetrics(parts: Float64Array[], at: number): MetricsWithBaselines {
  const y = mergeMoments(parts.map((p) => ({ n: p[at], mean: p.subarray(at + 1, at + 2), m2: p.subarray(at + 2, at + 3) })));
  const sst = y.m2[0];
  return {
    ...combined(parts, at + 3, y.n, sst),
    baselines: { zero: combined(parts, at + 3 + SUMS, y.n, sst), trainMean: combined(parts, at + 3 + 2 * SUMS, y.n, sst) },
  };
}

export function rankEvaluator(group: Group, validation: SplitArrays, test: SplitArrays, scaler: Scaler): RankEvaluator {
  const chunk = new Float32Array(Math.min(EVAL_CHUNK_ROWS, Math.max(validation.rows, test.rows, 1)) * scaler.width);
  const valPred = new Float32Array(validation.rows);
  const testPred = new Float32Array(test.rows);
  const toUnits = (pred: Float32Array, stats: Standardization) => {
    for (let i = 0; i < pred.length; i++) pred[i] = pred[i] * stats.yStd + stats.yMean;
    return pred;
  };
  return {
    async valLoss(mlp) {
      const pred = predictSplit(mlp, validation, scaler, chunk, valPred);
      let sse = 0;
      for (let i = 0; i < validation.rows; i++) {
        const e = pred[i] - (validation.y[i] - scaler.yMean) * scaler.yInv;
        sse += e * e;
      }
      const parts = await group.allGather(Float64Array.of(sse, validation.rows));
      let total = 0;
      let rows = 0;
      for (const p of parts) {
        total += p[0];
        rows += p[1];
      }
      return total / rows;
    },
    async metrics(mlp, stats) {
      const mine = new Float64Array(2 * SPLIT_PARTS);
      splitPart(validation, toUnits(predictSplit(mlp, validation, scaler, chunk, valPred), stats), stats.yMean, mine, 0);
      splitPart(test, toUnits(predictSplit(mlp, test, scaler, chunk, testPred), stats), stats.yMean, mine, SPLIT_PARTS);
      const parts = await group.allGather(mine);
      return { validation: splitMetrics(parts, 0), test: splitMetrics(parts, SPLIT_PARTS) };
    },
  };
}
