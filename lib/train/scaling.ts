/**
 * Standardization with statistics from the training split only: validation and test are
 * transformed with the train mean and std, never used to fit them (no leakage).
 */

export interface Standardization {
  /** Per feature. */
  xMean: Float64Array;
  xStd: Float64Array;
  yMean: number;
  yStd: number;
  /** Training rows the statistics came from. */
  rows: number;
}

/** Running sums for the statistics, so a streamed dataset can be scanned shard by shard. */
export interface StatsAccumulator {
  add(x: Float32Array, y: Float32Array, rows: number): void;
  finish(): Standardization;
}

/**
 * Accumulates per-feature mean and variance with Welford-style chunk merging (float64), so
 * large means and small variances do not cancel.
 */
export function statsAccumulator(width: number): StatsAccumulator {
  let n = 0;
  const mean = new Float64Array(width);
  const m2 = new Float64Array(width);
  let yN = 0;
  let yMean = 0;
  let yM2 = 0;
  const cMean = new Float64Array(width);
  const cM2 = new Float64Array(width);
  return {
    add(x, y, rows) {
      if (rows === 0) return;
      cMean.fill(0);
      cM2.fill(0);
      for (let r = 0; r < rows; r++) {
        const o = r * width;
        for (let k = 0; k < width; k++) cMean[k] += x[o + k];
      }
      for (let k = 0; k < width; k++) cMean[k] /= rows;
      for (let r = 0; r < rows; r++) {
        const o = r * width;
        for (let k = 0; k < width; k++) {
          const d = x[o + k] - cMean[k];
          cM2[k] += d * d;
        }
      }
      const total = n + rows;
      for (let k = 0; k < width; k++) {
        const delta = cMean[k] - mean[k];
        mean[k] += (delta * rows) / total;
        m2[k] += cM2[k] + (delta * delta * n * rows) / total;
      }
      n = total;
      let ym = 0;
      for (let r = 0; r < rows; r++) ym += y[r];
      ym /= rows;
      let ym2 = 0;
      for (let r = 0; r < rows; r++) ym2 += (y[r] - ym) * (y[r] - ym);
      const yTotal = yN + rows;
      const yd = ym - yMean;
      yMean += (yd * rows) / yTotal;
      yM2 += ym2 + (yd * yd * yN * rows) / yTotal;
      yN = yTotal;
    },
    finish() {
      // A constant column gets std 1 so it maps to zero instead of dividing by zero.
      const xStd = new Float64Array(width);
      for (let k = 0; k < width; k++) {
        const s = n > 1 ? Math.sqrt(m2[k] / n) : 0;
        xStd[k] = s > 1e-12 ? s : 1;
      }
      const ys = yN > 1 ? Math.sqrt(yM2 / yN) : 0;
      return { xMean: Float64Array.from(mean), xStd, yMean, yStd: ys > 1e-12 ? ys : 1, rows: n };
    },
  };
}

/** Statistics of one in-memory training split. */
export function fitStandardization(x: Float32Array, y: Float32Array, rows: number, width: number): Standardization {
  const acc = statsAccumulator(width);
  acc.add(x, y, rows);
  return acc.finish();
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
