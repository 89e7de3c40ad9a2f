/**
 * Standardization with statistics from the training split only: validation and test are
 * transformed with the train mean and std, never used to fit them (no leakage).
 */
import type { FeatureStats } from '../data/manifest.ts';
import { statsAccumulator } from '../data/stats.ts';

export interface Standardization {
  /** Per feature. */
  xMean: Float64Array;
  xStd: Float64Array;
  yMean: number;
  yStd: number;
  /** Training rows the statistics came from. */
  rows: number;
}

/** A constant column (std 0, or no rows) gets std 1, so it maps to zero instead of dividing by zero. */
const usableStd = (s: number) => (s > 1e-12 ? s : 1);

/** The standardization that train-split statistics (a manifest's, or an accumulator's) give. */
export function standardization(stats: FeatureStats): Standardization {
  return {
    xMean: Float64Array.from(stats.mean),
    xStd: Float64Array.from(stats.std, usableStd),
    yMean: stats.targetMean,
    yStd: usableStd(stats.targetStd),
    rows: stats.rows,
  };
}

/** Statistics of one in-memory training split. */
export function fitStandardization(x: Float32Array, y: Float32Array, rows: number, width: number): Standardization {
  const acc = statsAccumulator(width);
  acc.add(x, y, 0, rows);
  return standardization(acc.result());
}

/** Standardizes x and y in place (no second copy of the data). */
export function applyStandardization(s: Standardization, x: Float32Array, y: Float32Array, rows: number): void {
  const width = s.xMean.length;
  const scale = new Float64Array(width);
  for (let k = 0; k < width; k++) scale[k] = 1 / s.xStd[k];
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    for (let k = 0; k < width; k++) x[o + k] = (x[o + k] - s.xMean[k]) * scale[k];
  }
  const yScale = 1 / s.yStd;
  for (let r = 0; r < rows; r++) y[r] = (y[r] - s.yMean) * yScale;
}
