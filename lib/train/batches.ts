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

/**
 * Buffers for batches of up to `batchSize` rows. Without `transposed`, xT stays empty and Mlp
 * transposes on demand: its wasm-kernel route reads x as it is and never needs xT.
 */
export function allocateBatch(batchSize: number, width: number, transposed = true): Batch {
  return { rows: 0, x: new Float32Array(batchSize * width), xT: new Float32Array(transposed ? batchSize * width : 0), y: new Float32Array(batchSize) };
}

/** Copies rows order[start..start+count) of `src` into `batch`, standardized (and transposed into xT when it has room). */
export function fillBatch(batch: Batch, src: SplitArrays, order: Uint32Array, start: number, count: number, scaler: Scaler): Batch {
  const { width, xMean, xInv, yMean, yInv } = scaler;
  const { x, y } = src;
  const bx = batch.x;
  const bxT = batch.xT;
  const by = batch.y;
  const transposed = bxT.length >= count * width;
  for (let i = 0; i < count; i++) {
    const r = order[start + i];
    const o = r * width;
    const bo = i * width;
    for (let k = 0; k < width; k++) bx[bo + k] = (x[o + k] - xMean[k]) * xInv[k];
    if (transposed) for (let k = 0; k < width; k++) bxT[k * count + i] = bx[bo + k];
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
