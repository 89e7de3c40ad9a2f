/**
 * The train split's feature and target statistics, accumulated chunk by chunk: the dataset
 * writer records them in the manifest as it writes shards, and training fits its standardization
 * with the same accumulator when it scans shards itself.
 */
import type { FeatureStats } from './manifest.ts';

/** Running statistics over rows added in chunks. */
export interface StatsAccumulator {
  /** Adds rows `from` … `to` − 1 of row-major `x` (width columns) and of `y`. */
  add(x: Float32Array, y: Float32Array, from: number, to: number): void;
  /** Mean and population std per feature and of the target (0 for no rows or a constant column). */
  result(): FeatureStats;
}

/** One chunk's row count, per-column mean and sum of squared deviations (the target last). */
export interface ChunkMoments {
  rows: number;
  mean: Float64Array;
  m2: Float64Array;
}

/**
 * Rows `from` … `to` − 1 of row-major `x` (width columns) and of `y`, reduced to their moments:
 * the part of `add` a worker thread can do, so only the cheap merge stays on the thread that
 * keeps the running statistics.
 */
export function chunkMoments(x: Float32Array, y: Float32Array, width: number, from: number, to: number): ChunkMoments {
  const rows = Math.max(0, to - from);
  const cols = width + 1;
  const cMean = new Float64Array(cols);
  const cM2 = new Float64Array(cols);
  if (rows === 0) return { rows, mean: cMean, m2: cM2 };
  for (let r = from; r < to; r++) {
    const o = r * width;
    for (let k = 0; k < width; k++) cMean[k] += x[o + k];
    cMean[width] += y[r];
  }
  for (let k = 0; k < cols; k++) cMean[k] /= rows;
  for (let r = from; r < to; r++) {
    const o = r * width;
    for (let k = 0; k < width; k++) {
      const d = x[o + k] - cMean[k];
      cM2[k] += d * d;
    }
    const d = y[r] - cMean[width];
    cM2[width] += d * d;
  }
  return { rows, mean: cMean, m2: cM2 };
}

/** Running statistics that also take chunks already reduced by `chunkMoments`. */
export interface MomentsAccumulator extends StatsAccumulator {
  /** Merges one chunk's moments; chunks merged in the same order give the same bits as `add`. */
  merge(chunk: ChunkMoments): void;
}

/**
 * Per-column mean and variance merged chunk by chunk (Chan et al.), in float64: a chunk's own
 * mean and squared deviations first, then merged into the running ones, so a large mean and a
 * small variance do not cancel the way sum-of-squares would. The target is column `width`.
 */
export function statsAccumulator(width: number): MomentsAccumulator {
  const cols = width + 1;
  let n = 0;
  const mean = new Float64Array(cols);
  const m2 = new Float64Array(cols);
  const merge = (chunk: ChunkMoments): void => {
    const rows = chunk.rows;
    if (rows <= 0) return;
    const total = n + rows;
    for (let k = 0; k < cols; k++) {
      const delta = chunk.mean[k] - mean[k];
      mean[k] += (delta * rows) / total;
      m2[k] += chunk.m2[k] + (delta * delta * n * rows) / total;
    }
    n = total;
  };
  return {
    merge,
    add(x, y, from, to) {
      merge(chunkMoments(x, y, width, from, to));
    },
    result() {
      const std = (k: number) => (n > 1 ? Math.sqrt(m2[k] / n) : 0);
      return {
        rows: n,
        mean: Array.from(mean.subarray(0, width)),
        std: Array.from({ length: width }, (_, k) => std(k)),
        targetMean: mean[width],
        targetStd: std(width),
      };
    },
  };
}
