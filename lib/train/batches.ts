/**
 * Mini-batches copied row by row from the one in-memory copy of the data into small reused
 * buffers, standardized on the way (so the caller's dataset is never modified and never
 * copied whole), and transposed on the way for the first layer's weight gradient.
 */
import type { Batch } from './mlp.ts';
import type { Standardization } from './scaling.ts';
import type { SplitArrays } from './types.ts';

/** Standardization as float32 multipliers for the copy loops. */
export interface Scaler {
  width: number;
  xMean: Float32Array;
  xInv: Float32Array;
  yMean: number;
  yInv: number;
}

export function scalerFrom(s: Standardization): Scaler {
  return {
    width: s.xMean.length,
    xMean: Float32Array.from(s.xMean),
    xInv: Float32Array.from(s.xStd, (v) => 1 / v),
    yMean: s.yMean,
    yInv: 1 / s.yStd,
  };
}

/** Buffers for batches of up to `batchSize` rows. */
export function allocateBatch(batchSize: number, width: number): Batch {
  return { rows: 0, x: new Float32Array(batchSize * width), xT: new Float32Array(batchSize * width), y: new Float32Array(batchSize) };
}

/** Copies rows order[start..start+count) of `src` into `batch`, standardized. */
export function fillBatch(batch: Batch, src: SplitArrays, order: Uint32Array, start: number, count: number, scaler: Scaler): Batch {
  const { width, xMean, xInv, yMean, yInv } = scaler;
  const { x, y } = src;
  const bx = batch.x;
  const bxT = batch.xT;
  const by = batch.y;
  for (let i = 0; i < count; i++) {
    const r = order[start + i];
    const o = r * width;
    const bo = i * width;
    for (let k = 0; k < width; k++) {
      const v = (x[o + k] - xMean[k]) * xInv[k];
      bx[bo + k] = v;
      bxT[k * count + i] = v;
    }
    by[i] = (y[r] - yMean) * yInv;
  }
  batch.rows = count;
  return batch;
}

/** Copies `count` consecutive rows from `startRow` into `out` (rows × width), standardized. */
export function fillRows(out: Float32Array, src: SplitArrays, startRow: number, count: number, scaler: Scaler): Float32Array {
  const { width, xMean, xInv } = scaler;
  const x = src.x;
  for (let i = 0; i < count; i++) {
    const o = (startRow + i) * width;
    const bo = i * width;
    for (let k = 0; k < width; k++) out[bo + k] = (x[o + k] - xMean[k]) * xInv[k];
  }
  return out;
}
