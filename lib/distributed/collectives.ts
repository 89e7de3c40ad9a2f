/**
 * Collectives built on the group's two primitives, `allReduceMean(Float32Array)` and
 * `allGather(Float64Array)`: gathering counts, agreeing to stop, combining per-rank feature
 * statistics. Every rank gets bit-identical results (each merges the same numbers in rank
 * order), which is what keeps replicas identical.
 */
import type { Manifest } from '../data/manifest.ts';
import { chunkMoments } from '../data/stats.ts';
import type { StopVote, Verdict } from '../train/loop.ts';
import { standardization, type Standardization } from '../train/scaling.ts';
import type { SplitArrays } from '../train/types.ts';
import type { Group } from './group.ts';

/** Every rank's integer `value` (exact below 2^53), indexed by rank. */
export async function allGatherCounts(group: Group, value: number): Promise<number[]> {
  const got = await group.allGather(Float64Array.of(value));
  return got.map((v) => v[0]);
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

/** Count, mean and sum of squared deviations per column: what Chan's parallel variance merges. */
export interface Moments {
  n: number;
  mean: Float64Array;
  m2: Float64Array;
}

/** Moments of `rows` rows of row-major `x` (width columns) with `y` as column `width`, in two float64 passes. */
export function localMoments(split: SplitArrays, width: number): Moments {
  // The dataset writer's own per-chunk moments: the same float64 passes, so ranks and the
  // manifest's statistics are computed alike.
  const { rows, mean, m2 } = chunkMoments(split.x, split.y, width, 0, split.rows);
  return { n: rows, mean, m2 };
}

/** Merges moments in the order given (Chan et al.): the same inputs in the same order give the same bits. */
export function mergeMoments(parts: Moments[]): Moments {
  const cols = parts[0].mean.length;
  const out: Moments = { n: 0, mean: new Float64Array(cols), m2: new Float64Array(cols) };
  for (const p of parts) {
    if (p.n === 0) continue;
    const total = out.n + p.n;
    for (let j = 0; j < cols; j++) {
      const delta = p.mean[j] - out.mean[j];
      out.mean[j] += (delta * p.n) / total;
      out.m2[j] += p.m2[j] + (delta * delta * out.n * p.n) / total;
    }
    out.n = total;
  }
  return out;
}

/** Every rank's moments, merged in rank order: the same float64 result on every rank. */
export async function allMergeMoments(group: Group, local: Moments): Promise<Moments> {
  const cols = local.mean.length;
  const packed = new Float64Array(1 + 2 * cols);
  packed[0] = local.n;
  packed.set(local.mean, 1);
  packed.set(local.m2, 1 + cols);
  const got = await group.allGather(packed);
  return mergeMoments(got.map((p) => ({ n: p[0], mean: p.subarray(1, 1 + cols), m2: p.subarray(1 + cols) })));
}

/**
 * The whole train split's mean and population std, from each rank's own rows: each rank's
 * moments in float64, gathered and merged with Chan's parallel variance (no E[x²] − E[x]²
 * cancellation), so every rank standardizes with the statistics one process would fit on all
 * rows — equal to the manifest's to float64 rounding (the writer merges per shard, in another order).
 */
export async function globalStandardization(group: Group, local: SplitArrays, width: number): Promise<Standardization> {
  const all = await allMergeMoments(group, localMoments(local, width));
  const std = (j: number) => (all.n > 1 ? Math.sqrt(all.m2[j] / all.n) : 0);
  return standardization({
    rows: all.n,
    mean: Array.from(all.mean.subarray(0, width)),
    std: Array.from({ length: width }, (_, j) => std(j)),
    targetMean: all.mean[width],
    targetStd: std(width),
  });
}
