/**
 * Features of one ticker's day, computed from that ticker's own past only: the row for day t
 * reads prices and volumes of days ≤ t, and its target is the return from day t to the ticker's
 * next trading day. Returns are log returns in percent, so values are of order 1 without any
 * normalisation.
 */
import type { OhlcvSeries } from './market.ts';

export const FEATURE_NAMES: readonly string[] = [
  'ret_1', // 100·ln(C_t / C_t-1)
  'ret_1_lag1',
  'ret_1_lag2',
  'ret_1_lag3',
  'ret_5', // 100·ln(C_t / C_t-5)
  'ret_20',
  'ret_60',
  'ma_ratio_5', // 100·(C_t / mean(C over the last 5 days) − 1)
  'ma_ratio_20',
  'ma_ratio_60',
  'vol_5', // std of ret_1 over the last 5 days
  'vol_20',
  'vol_60',
  'rsi_14', // sum of ret_1 / sum of |ret_1| over the last 14 days: RSI rescaled to [−1, 1]
  'volume_z_20', // (ln(1+V_t) − mean) / std over the last 20 days
  'range_hl', // 100·ln(H_t / L_t)
  'ret_oc', // 100·ln(C_t / O_t); the overnight gap is ret_1 − ret_oc
  'close_loc', // where the close sits in the day's range: (C − L) / (H − L), 0.5 if H = L
];
export const FEATURE_COUNT = FEATURE_NAMES.length;
export const TARGET_NAME = 'next_return';
/** Days of history before a ticker's first row: the longest window (60 returns). */
export const WARMUP = 60;
/** Fewest trading days a ticker needs to give at least one row (warm-up, the day, the next day). */
export const MIN_HISTORY = WARMUP + 2;

/** Reusable working memory for `computeFeatures`, grown as needed. */
export interface FeatureScratch {
  cap: number;
  ret: Float64Array;
  lv: Float64Array;
  sumRet: Float64Array;
  sumRet2: Float64Array;
  sumAbs: Float64Array;
  sumClose: Float64Array;
  sumLv: Float64Array;
  sumLv2: Float64Array;
}

export function featureScratch(n = 0): FeatureScratch {
  const cap = Math.max(n, 1);
  return {
    cap,
    ret: new Float64Array(cap),
    lv: new Float64Array(cap),
    sumRet: new Float64Array(cap + 1),
    sumRet2: new Float64Array(cap + 1),
    sumAbs: new Float64Array(cap + 1),
    sumClose: new Float64Array(cap + 1),
    sumLv: new Float64Array(cap + 1),
    sumLv2: new Float64Array(cap + 1),
  };
}

function std(sum: number, sum2: number, k: number): number {
  const mean = sum / k;
  const v = sum2 / k - mean * mean;
  return v > 0 ? Math.sqrt(v) : 0;
}

/**
 * Fills `scratch` with prefix sums over the whole series: entry t + 1 sums days ≤ t only, so a
 * row for day t that reads entries ≤ t + 1 sees nothing later. Call once per ticker, then
 * `writeFeatureRows` for each split's range.
 */
export function prepareFeatures(s: OhlcvSeries, scratch: FeatureScratch): void {
  const n = s.n;
  if (scratch.cap < n) Object.assign(scratch, featureScratch(n));
  const { ret, lv: lvs, sumRet, sumRet2, sumAbs, sumClose, sumLv, sumLv2 } = scratch;
  const close = s.close;
  ret[0] = 0;
  sumRet[0] = sumRet2[0] = sumAbs[0] = sumClose[0] = sumLv[0] = sumLv2[0] = 0;
  for (let t = 0; t < n; t++) {
    const r = t === 0 ? 0 : 100 * Math.log(close[t] / close[t - 1]);
    ret[t] = r;
    sumRet[t + 1] = sumRet[t] + r;
    sumRet2[t + 1] = sumRet2[t] + r * r;
    sumAbs[t + 1] = sumAbs[t] + Math.abs(r);
    sumClose[t + 1] = sumClose[t] + close[t];
    const lv = Math.log1p(s.volume[t]);
    lvs[t] = lv;
    sumLv[t + 1] = sumLv[t] + lv;
    sumLv2[t + 1] = sumLv2[t] + lv * lv;
  }
}

/** Features and targets of one ticker's days [from, to) (WARMUP ≤ from ≤ to ≤ n − 1). */
export function computeFeatures(s: OhlcvSeries, from: number, to: number, x: Float32Array, y: Float32Array, at: number, scratch: FeatureScratch): void {
  prepareFeatures(s, scratch);
  writeFeatureRows(s, from, to, x, y, at, scratch);
}

/**
 * Writes rows for days t in [from, to) of `s` after `prepareFeatures`: features into `x` at row
 * `at` onwards (FEATURE_COUNT floats a row), targets into `y`. Rolling windows are differences
 * of prefix sums, so each row costs the same whatever the window.
 */
export function writeFeatureRows(s: OhlcvSeries, from: number, to: number, x: Float32Array, y: Float32Array, at: number, scratch: FeatureScratch): void {
  const n = s.n;
  if (from < WARMUP || to > n - 1 || from > to) throw new Error(`writeFeatureRows: rows [${from}, ${to}) outside [${WARMUP}, ${n - 1})`);
  const { ret, lv, sumRet, sumRet2, sumAbs, sumClose, sumLv, sumLv2 } = scratch;
  const close = s.close;
  let o = at * FEATURE_COUNT;
  for (let t = from; t < to; t++) {
    const c = close[t];
    const e = t + 1; // prefix index just past day t
    x[o] = ret[t];
    x[o + 1] = ret[t - 1];
    x[o + 2] = ret[t - 2];
    x[o + 3] = ret[t - 3];
    // Sums of daily log returns: 100·ln(C_t / C_t-k) without another logarithm.
    x[o + 4] = sumRet[e] - sumRet[e - 5];
    x[o + 5] = sumRet[e] - sumRet[e - 20];
    x[o + 6] = sumRet[e] - sumRet[e - 60];
    x[o + 7] = 100 * (c / ((sumClose[e] - sumClose[e - 5]) / 5) - 1);
    x[o + 8] = 100 * (c / ((sumClose[e] - sumClose[e - 20]) / 20) - 1);
    x[o + 9] = 100 * (c / ((sumClose[e] - sumClose[e - 60]) / 60) - 1);
    x[o + 10] = std(sumRet[e] - sumRet[e - 5], sumRet2[e] - sumRet2[e - 5], 5);
    x[o + 11] = std(sumRet[e] - sumRet[e - 20], sumRet2[e] - sumRet2[e - 20], 20);
    x[o + 12] = std(sumRet[e] - sumRet[e - 60], sumRet2[e] - sumRet2[e - 60], 60);
    const abs14 = sumAbs[e] - sumAbs[e - 14];
    x[o + 13] = abs14 > 1e-12 ? (sumRet[e] - sumRet[e - 14]) / abs14 : 0;
    const lvStd = std(sumLv[e] - sumLv[e - 20], sumLv2[e] - sumLv2[e - 20], 20);
    const lvMean = (sumLv[e] - sumLv[e - 20]) / 20;
    x[o + 14] = lvStd > 1e-9 ? (lv[t] - lvMean) / lvStd : 0;
    const h = s.high[t];
    const l = s.low[t];
    x[o + 15] = 100 * Math.log(h / l);
    x[o + 16] = 100 * Math.log(c / s.open[t]);
    x[o + 17] = h > l ? (c - l) / (h - l) : 0.5;
    o += FEATURE_COUNT;
    y[at + (t - from)] = ret[t + 1]; // the target: tomorrow's return, the one value from after day t
  }
}
