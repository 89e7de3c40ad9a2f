/**
 * One shard group built in memory: the rows of a run of tickers, one shard per split (x, y,
 * meta). The same code runs on the caller's thread (CSV import) and in the generator's worker
 * threads, so where a group is built never changes its bytes.
 */
import { allocNpy, type NpyBuffer } from './npy.ts';
import { SPLITS } from './manifest.ts';
import type { ShardBuffers } from './group-files.ts';
import { FEATURE_COUNT, FEATURE_NAMES, TARGET_NAME, prepareFeatures, writeFeatureRows, type FeatureScratch } from './features.ts';
import { splitRanges, type DateSplit, type SplitRanges } from './split.ts';
import type { OhlcvSeries } from './market.ts';
import { CaplabError } from '../errors.ts';

/** Where rows come from: ticker ids 0 … count − 1. */
export interface TickerSource {
  count: number;
  /** Day indices of a ticker's trading days; cheap (no simulation), used to size shards first. */
  days(ticker: number): { day: Int32Array; n: number };
  /** The ticker's full series; may reuse memory between calls. */
  load(ticker: number): OhlcvSeries;
  /** Where day index `t` of a ticker came from, for errors ("prices.csv:812"). */
  where?(ticker: number, t: number): string;
}

/** Makes a shard's arrays; a builder that reuses buffers between groups passes its own. */
export interface ShardAlloc {
  f4(shape: number[]): NpyBuffer<Float32Array>;
  i4(shape: number[]): NpyBuffer<Int32Array>;
}

export const freshAlloc: ShardAlloc = { f4: (shape) => allocNpy('<f4', shape), i4: (shape) => allocNpy('<i4', shape) };

/**
 * An allocator that hands back buffers of groups already written (`release`) for shards of the
 * same shape: groups of equal size then cost no new memory, and the collector (which frees large
 * buffers late) has nothing to catch up with.
 */
export function reusingAlloc(): ShardAlloc & { release(group: ShardBuffers[]): void } {
  const spare = new Map<string, NpyBuffer[]>();
  const take = (dtype: '<f4' | '<i4', shape: number[]): NpyBuffer => spare.get(`${dtype}${shape}`)?.pop() ?? allocNpy(dtype as '<f4', shape);
  return {
    f4: (shape) => take('<f4', shape) as NpyBuffer<Float32Array>,
    i4: (shape) => take('<i4', shape) as NpyBuffer<Int32Array>,
    release(group) {
      for (const sh of group) {
        for (const [dtype, buf] of [['<f4', sh.x], ['<f4', sh.y], ['<i4', sh.meta]] as const) {
          if (!buf) continue;
          const key = `${dtype}${buf.shape}`;
          const list = spare.get(key) ?? [];
          list.push(buf);
          spare.set(key, list);
        }
      }
    },
  };
}

/** Ticker ids of group `g`: made when needed, since a list of every ticker can itself be huge. */
export function groupTickers(g: number, shardTickers: number, count: number): number[] {
  const ids: number[] = [];
  for (let t = g * shardTickers; t < Math.min(count, (g + 1) * shardTickers); t++) ids.push(t);
  return ids;
}

const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Fills one group's shards. It yields to the event loop between tickers so the previous group's
 * file writes, which need this thread between their steps, keep moving.
 */
export async function buildGroup(source: TickerSource, g: number, tickers: number[], split: DateSplit, scratch: FeatureScratch, alloc: ShardAlloc = freshAlloc): Promise<ShardBuffers[]> {
  const ranges: SplitRanges[] = tickers.map((t) => {
    const { day, n } = source.days(t);
    return splitRanges(day, n, split);
  });
  const shards = SPLITS.map((sp) => {
    const rows = ranges.reduce((a, r) => a + r[sp][1] - r[sp][0], 0);
    return {
      split: sp,
      name: `${sp}-${String(g).padStart(5, '0')}`,
      rows,
      x: alloc.f4([rows, FEATURE_COUNT]),
      y: alloc.f4([rows]),
      meta: alloc.i4([rows, 2]),
      tickers: { first: tickers[0], count: tickers.length },
    };
  });
  const at = [0, 0, 0];
  for (let i = 0; i < tickers.length; i++) {
    const ticker = tickers[i];
    if (i % 4 === 3) await yieldToIo();
    const s = source.load(ticker);
    prepareFeatures(s, scratch);
    SPLITS.forEach((sp, k) => {
      const [from, to] = ranges[i][sp];
      if (to <= from) return;
      const sh = shards[k];
      writeFeatureRows(s, from, to, sh.x.data, sh.y.data, at[k], scratch);
      checkFinite(source, ticker, s.day, from, to, sh.x.data, sh.y.data, at[k]);
      const meta = sh.meta.data;
      for (let t = from; t < to; t++) {
        const r = at[k] + t - from;
        meta[2 * r] = ticker;
        meta[2 * r + 1] = s.day[t];
      }
      at[k] += to - from;
    });
  }
  return shards;
}

/** Everything that reaches a shard is finite: a row that is not names where it came from. */
function checkFinite(source: TickerSource, ticker: number, day: Int32Array, from: number, to: number, x: Float32Array, y: Float32Array, at: number): void {
  for (let t = from; t < to; t++) {
    const r = at + t - from;
    // One test a row: float32 values cannot overflow a float64 sum, and a NaN or an infinity
    // makes the sum non-finite.
    let sum = y[r];
    for (let f = 0, o = r * FEATURE_COUNT; f < FEATURE_COUNT; f++) sum += x[o + f];
    if (Number.isFinite(sum)) continue;
    let bad = Number.isFinite(y[r]) ? -1 : FEATURE_COUNT;
    for (let f = 0; f < FEATURE_COUNT && bad < 0; f++) if (!Number.isFinite(x[r * FEATURE_COUNT + f])) bad = f;
    if (bad < 0) continue;
    const name = bad === FEATURE_COUNT ? TARGET_NAME : FEATURE_NAMES[bad];
    const where = source.where?.(ticker, t) ?? `ticker ${ticker}, day ${day[t]}`;
    throw new CaplabError('data-nonfinite', `${where}: the row's ${name} is not a finite number (${bad === FEATURE_COUNT ? y[r] : x[r * FEATURE_COUNT + bad]}).`, {
      hint: 'Check the prices on and before that row (and the next day, for the target): a zero, a huge jump or a value out of range.',
    });
  }
}
