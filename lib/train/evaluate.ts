/** Evaluation helpers shared by single-process and data-parallel training. */
import { fillRows, type Scaler } from './batches.ts';
import { metricsWithBaselines } from './metrics.ts';
import type { Standardization } from './scaling.ts';
import type { Mlp } from './mlp.ts';
import type { MetricsWithBaselines, SplitArrays } from './types.ts';

/** Rows per prediction call when evaluating: bounds the scratch buffer, not the result. */
export const EVAL_CHUNK_ROWS = 8192;

/** Predictions (standardized units) for every row of `split`, chunk by chunk. */
export function predictSplit(mlp: Mlp, split: SplitArrays, scaler: Scaler, chunk: Float32Array, out: Float32Array): Float32Array {
  const chunkRows = chunk.length / scaler.width;
  for (let start = 0; start < split.rows; start += chunkRows) {
    const n = Math.min(chunkRows, split.rows - start);
    mlp.predict(fillRows(chunk, split, start, n, scaler), n, out, start);
  }
  return out;
}

/** MSE on standardized targets, the unit training loss is reported in. */
export function scaledMse(pred: Float32Array, split: SplitArrays, scaler: Scaler): number {
  let sse = 0;
  for (let i = 0; i < split.rows; i++) {
    const e = pred[i] - (split.y[i] - scaler.yMean) * scaler.yInv;
    sse += e * e;
  }
  return sse / split.rows;
}

/**
 * Metrics of `split` in the target's own units, beside the naive baselines. `out` receives the
 * predictions (length >= split.rows); `chunk` is the evaluation scratch buffer.
 */
export function splitMetrics(mlp: Mlp, split: SplitArrays, scaler: Scaler, stats: Standardization, chunk: Float32Array, out: Float32Array): MetricsWithBaselines {
  const pred = predictSplit(mlp, split, scaler, chunk, out);
  for (let i = 0; i < split.rows; i++) pred[i] = pred[i] * stats.yStd + stats.yMean;
  return metricsWithBaselines(split.y.subarray(0, split.rows), pred.subarray(0, split.rows), stats.yMean);
}

/** Validation loss and final metrics over fixed splits, with the scratch buffers allocated once. */
export interface Evaluator {
  /** Validation MSE on standardized targets (the loss the best epoch is chosen by). */
  valLoss(mlp: Mlp): number;
  /** Validation and test metrics in the target's own units. */
  metrics(mlp: Mlp, stats: Standardization): { validation: MetricsWithBaselines; test: MetricsWithBaselines };
}

export function evaluator(validation: SplitArrays, test: SplitArrays, scaler: Scaler): Evaluator {
  const chunk = new Float32Array(Math.min(EVAL_CHUNK_ROWS, Math.max(validation.rows, test.rows, 1)) * scaler.width);
  const valPred = new Float32Array(validation.rows);
  return {
    valLoss: (mlp) => scaledMse(predictSplit(mlp, validation, scaler, chunk, valPred), validation, scaler),
    metrics: (mlp, stats) => ({
      validation: splitMetrics(mlp, validation, scaler, stats, chunk, valPred),
      test: splitMetrics(mlp, test, scaler, stats, chunk, new Float32Array(test.rows)),
    }),
  };
}
