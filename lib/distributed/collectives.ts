/**
 * Collectives built on the group's one primitive, `allReduceMean(Float32Array)`: gathering
 * small integers and combining per-rank feature statistics. Every rank gets bit-identical
 * results, which is what keeps replicas identical.
 */
import type { Manifest } from '../data/manifest.ts';
import type { StopVote, Verdict } from '../train/loop.ts';
import { standardization, type Standardization } from '../train/scaling.ts';
import type { SplitArrays } from '../train/types.ts';
import type { Group } from './group.ts';

/** float32 holds integers exactly below 2^24; a count travels as two parts below 2^20. */
const SPLIT = 2 ** 20;

/**
 * Every rank's non-negative integer `value`, indexed by rank. Each rank fills only its own slots,
 * so the mean is value / worldSize there and rounding recovers it exactly.
 */
export async function allGatherCounts(group: Group, value: number): Promise<number[]> {
  const k = group.worldSize;
  const buf = new Float32Array(2 * k);
  buf[2 * group.rank] = Math.floor(value / SPLIT);
  buf[2 * group.rank + 1] = value % SPLIT;
  await group.allReduceMean(buf);
  return Array.from({ length: k }, (_, r) => Math.round(buf[2 * r] * k) * SPLIT + Math.round(buf[2 * r + 1] * k));
}

/** Rank 0's verdict, and whether any rank was aborted, in one exchange. */
export async function agreeToStop(group: Group, vote: StopVote): Promise<StopVote> {
  const buf = Float32Array.of(group.rank === 0 ? vote.verdict : 0, vote.aborted ? 1 : 0);
  await group.allReduceMean(buf);
  return { verdict: Math.round(buf[0] * group.worldSize) as Verdict, aborted: buf[1] > 0 };
}

/** The generator's train statistics from the manifest (population std, like fitStandardization). */
export function manifestStandardization(manifest: Manifest): Standardization | null {
  const s = manifest.stats;
  if (!s || s.mean.length !== manifest.features.length || s.std.length !== manifest.features.length) return null;
  return standardization(s);
}

/**
 * The global train split's mean and population std from each rank's local rows, in two
 * exchanges: weighted local means give the global mean; then local variances plus each local
 * mean's offset from it give the global variance (no E[x²] − E[x]² cancellation). Values
 * travel as float32, so the result is float32-precise, which is the precision scaling uses.
 */
export async function globalStandardization(group: Group, local: SplitArrays, width: number, counts: number[]): Promise<Standardization> {
  const k = group.worldSize;
  const n = local.rows;
  const total = counts.reduce((a, c) => a + c, 0);
  const mean = new Float64Array(width + 1);
  for (let r = 0; r < n; r++) {
    const o = r * width;
    for (let j = 0; j < width; j++) mean[j] += local.x[o + j];
    mean[width] += local.y[r];
  }
  for (let j = 0; j <= width; j++) mean[j] = n > 0 ? mean[j] / n : 0;
  const w = total > 0 ? n / total : 0;
  const buf = Float32Array.from(mean, (m) => m * w * k);
  await group.allReduceMean(buf);
  const globalMean = Float64Array.from(buf);

  const m2 = new Float64Array(width + 1);
  for (let r = 0; r < n; r++) {
    const o = r * width;
    for (let j = 0; j < width; j++) {
      const d = local.x[o + j] - mean[j];
      m2[j] += d * d;
    }
    const d = local.y[r] - mean[width];
    m2[width] += d * d;
  }
  for (let j = 0; j <= width; j++) {
    const offset = mean[j] - globalMean[j];
    buf[j] = (n > 0 ? m2[j] / n + offset * offset : 0) * w * k;
  }
  await group.allReduceMean(buf);
  const std = Array.from(buf, (v) => Math.sqrt(Math.max(0, v)));
  return standardization({ rows: total, mean: Array.from(globalMean.subarray(0, width)), std: std.slice(0, width), targetMean: globalMean[width], targetStd: std[width] });
}
