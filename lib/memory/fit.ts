/**
 * From measured peaks to advice: a straight-line fit memory ≈ fixed + perRow × rows, the scale
 * where that line crosses a budget, and how many pods of what size a bigger scale needs.
 */
import { floorMemoryQuantity, podMemoryQuantity } from './bytes.ts';
import { formatBytes } from '../util/format.ts';
import { withDefaults } from '../util/defaults.ts';

export interface MemoryPoint {
  rows: number;
  peakBytes: number;
}

export interface MemoryFit {
  /** Memory that does not grow with the data: runtime, code, model, tfjs backend. */
  fixedBytes: number;
  /** Memory each row of data costs. */
  perRowBytes: number;
  /** The physical floor per row: (features + 1 target) float32 values. */
  rawBytesPerRow: number;
  /** perRowBytes / rawBytesPerRow: how many copies of the data live in memory at the peak. */
  ratio: number;
  features: number;
  points: number;
  /**
   * 'least-squares' over ≥ 2 distinct row counts; 'through-origin' when the free fit gave a
   * negative fixed part; 'one-point' from a single run (fixed 0: an upper bound per row).
   */
  method: 'least-squares' | 'through-origin' | 'one-point';
  /** Coefficient of determination of the fit (1 for one point). */
  r2: number;
}

/** Least-squares fit of peak memory against rows; null without points. `features` excludes the target. */
export function fitMemory(points: MemoryPoint[], features: number): MemoryFit | null {
  const pts = points.filter((p) => p.rows > 0 && p.peakBytes > 0);
  if (pts.length === 0) return null;
  const rawBytesPerRow = (features + 1) * 4;
  const n = pts.length;
  const mx = pts.reduce((a, p) => a + p.rows, 0) / n;
  const my = pts.reduce((a, p) => a + p.peakBytes, 0) / n;
  const sxx = pts.reduce((a, p) => a + (p.rows - mx) ** 2, 0);
  const sxy = pts.reduce((a, p) => a + (p.rows - mx) * (p.peakBytes - my), 0);
  let fixed: number;
  let perRow: number;
  let method: MemoryFit['method'];
  if (sxx === 0) {
    method = 'one-point';
    fixed = 0;
    perRow = my / mx;
  } else {
    method = 'least-squares';
    perRow = sxy / sxx;
    fixed = my - perRow * mx;
    if (fixed < 0) {
      // A negative fixed part is noise (a peak can't be below zero at zero rows): pin it at 0.
      method = 'through-origin';
      fixed = 0;
      perRow = pts.reduce((a, p) => a + p.rows * p.peakBytes, 0) / pts.reduce((a, p) => a + p.rows ** 2, 0);
    }
    if (perRow < 0) {
      // Memory fell as rows grew: the data is too small to show; treat it all as fixed.
      perRow = 0;
      fixed = Math.max(...pts.map((p) => p.peakBytes));
    }
  }
  const sst = pts.reduce((a, p) => a + (p.peakBytes - my) ** 2, 0);
  const sse = pts.reduce((a, p) => a + (p.peakBytes - (fixed + perRow * p.rows)) ** 2, 0);
  return {
    fixedBytes: fixed,
    perRowBytes: perRow,
    rawBytesPerRow,
    ratio: perRow / rawBytesPerRow,
    features,
    points: n,
    method,
    r2: sst === 0 ? 1 : 1 - sse / sst,
  };
}

/** Memory the fit predicts for `rows` rows. */
export function predictMemory(fit: MemoryFit, rows: number): number {
  return fit.fixedBytes + fit.perRowBytes * rows;
}

/** The most rows whose predicted memory stays within `bytes` (Infinity when memory does not grow with rows). */
export function maxRowsWithin(fit: MemoryFit, bytes: number): number {
  if (fit.fixedBytes > bytes) return 0;
  if (fit.perRowBytes <= 0) return Infinity;
  return Math.floor((bytes - fit.fixedBytes) / fit.perRowBytes);
}

export interface PodPlanOptions {
  /** Largest memory limit one pod may ask for, in bytes. Required. */
  maxPodBytes: number;
  /** Safety margin on top of a pod's predicted share: its limit is share × (1 + headroom). Default 0.25. */
  headroom?: number;
  /** Give up beyond this many pods. Default 256. */
  maxPods?: number;
}

export interface PodPlan {
  rows: number;
  /** Predicted memory to hold all rows in one process. */
  needBytes: number;
  /** Pods to split the rows over; null when even one row per pod would not fit (fixed part too big). */
  pods: number | null;
  /** Predicted peak of one pod: fixed + perRow × rows / pods. */
  podShareBytes: number | null;
  /** The pod memory limit as a Kubernetes quantity, e.g. "3Gi". */
  podMemory: string | null;
  podMemoryBytes: number | null;
  /** e.g. "~9 GiB → 4 pods × 3Gi". */
  text: string;
}

const planDefaults = { headroom: 0.25, maxPods: 256 };

/**
 * The fewest pods k such that each pod's share of the data (fixed + perRow × rows / k), plus
 * headroom, fits within `maxPodBytes`; the pod memory is that rounded up to a tidy quantity
 * (or the cap itself when rounding would pass it). Each pod pays the
 * fixed part again: that is why k pods need more memory in total than one process.
 */
export function podPlan(fit: MemoryFit, rows: number, options: PodPlanOptions): PodPlan {
  const o = withDefaults(planDefaults, options);
  const needBytes = predictMemory(fit, rows);
  const need = `~${formatBytes(needBytes, 2)}`;
  for (let k = 1; k <= o.maxPods; k++) {
    const share = fit.fixedBytes + (fit.perRowBytes * rows) / k;
    const limit = share * (1 + o.headroom);
    if (limit > o.maxPodBytes) continue;
    let q = podMemoryQuantity(limit);
    // Rounding up to a tidy size must not push a pod past the largest allowed: ask for the cap.
    if (q.bytes > o.maxPodBytes) q = floorMemoryQuantity(o.maxPodBytes);
    if (q.bytes >= limit) {
      return { rows, needBytes, pods: k, podShareBytes: share, podMemory: q.quantity, podMemoryBytes: q.bytes, text: `${need} → ${k} pod${k === 1 ? '' : 's'} × ${q.quantity}` };
    }
  }
  const why = fit.fixedBytes * (1 + o.headroom) > o.maxPodBytes ? 'the fixed part alone exceeds the pod size' : `more than ${o.maxPods} pods`;
  return { rows, needBytes, pods: null, podShareBytes: null, podMemory: null, podMemoryBytes: null, text: `${need} → no plan: ${why} (${formatBytes(o.maxPodBytes)} per pod)` };
}
