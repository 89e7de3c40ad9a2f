/**
 * One rank's share of the seeded synthetic market, generated in memory: rank r of k simulates
 * only tickers [⌊rT/k⌋, ⌊(r+1)T/k⌋) of the T tickers and keeps each one's train, validation and
 * test rows — the rows `generateDataset` writes for those tickers, value for value, since every
 * ticker is simulated from (seed, ticker id) alone on its own random stream. Nothing is written
 * and no rank computes, or holds, another rank's tickers; the whole split's standardization
 * statistics come from an exchange between the ranks (collectives.ts).
 */
import { CaplabError } from '../errors.ts';
import { FEATURE_COUNT, WARMUP, featureScratch, prepareFeatures, writeFeatureRows } from '../data/features.ts';
import { resolveGenerateOptions, syntheticSource } from '../data/generate.ts';
import { SPLITS } from '../data/manifest.ts';
import { dateSplit, splitRanges, type SplitRanges } from '../data/split.ts';
import type { FeatureStats } from '../data/manifest.ts';
import type { SyntheticDataRef } from '../search/trial-worker.ts';
import { allocateSplit } from '../train/dataset.ts';
import type { SplitArrays } from '../train/types.ts';

/**
 * The synthetic market a group trains on. `stats`: the train statistics the caller's copy of the
 * dataset recorded (its manifest's); the ranks check theirs against it, since they cannot check
 * the dataset checksum without generating every ticker. `checksum` is not checked here.
 */
export type SyntheticRankData = SyntheticDataRef & { stats?: FeatureStats };

export interface SyntheticShare {
  train: SplitArrays;
  validation: SplitArrays;
  test: SplitArrays;
  /** Ticker ids [first, end) this rank generated. */
  tickers: { first: number; end: number };
  /** Tickers of the whole dataset. */
  totalTickers: number;
}

/** The ticker ids rank `rank` of `worldSize` generates (contiguous, near-equal counts). */
export function rankTickers(tickers: number, rank: number, worldSize: number): { first: number; end: number } {
  return { first: Math.floor((rank * tickers) / worldSize), end: Math.floor(((rank + 1) * tickers) / worldSize) };
}

/** Simulates this rank's tickers and returns their rows (raw values, unscaled), every split. */
export function generateRankShare(ref: SyntheticDataRef, rank: number, worldSize: number): SyntheticShare {
  // The generator's own option checks and sizes (ticker count from the scale): same rows as a written dataset.
  const o = resolveGenerateOptions({ out: '(in memory)', seed: ref.seed, tickers: ref.tickers, days: ref.days, scale: ref.scale });
  if (o.tickers < worldSize) {
    throw new CaplabError('bad-config', `The synthetic dataset has ${o.tickers} tickers, fewer than the ${worldSize} ranks that would each generate some.`, {
      hint: 'Use fewer ranks or a larger scale.',
    });
  }
  const { first, end } = rankTickers(o.tickers, rank, worldSize);
  const source = syntheticSource(o.seed, o.tickers, o.days);
  const split = dateSplit(WARMUP, WARMUP + o.days);
  const ranges: SplitRanges[] = [];
  for (let t = first; t < end; t++) {
    const { day, n } = source.days(t);
    ranges.push(splitRanges(day, n, split));
  }
  const out = Object.fromEntries(SPLITS.map((sp) => [sp, allocateSplit(ranges.reduce((a, r) => a + r[sp][1] - r[sp][0], 0), FEATURE_COUNT)])) as Record<(typeof SPLITS)[number], SplitArrays>;
  const at = { train: 0, validation: 0, test: 0 };
  const scratch = featureScratch();
  for (let t = first; t < end; t++) {
    const s = source.load(t);
    prepareFeatures(s, scratch);
    for (const sp of SPLITS) {
      const [from, to] = ranges[t - first][sp];
      if (to <= from) continue;
      writeFeatureRows(s, from, to, out[sp].x, out[sp].y, at[sp], scratch);
      at[sp] += to - from;
    }
  }
  return { train: out.train, validation: out.validation, test: out.test, tickers: { first, end }, totalTickers: o.tickers };
}
