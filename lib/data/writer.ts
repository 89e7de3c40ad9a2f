/**
 * Writes a dataset folder from any source of ticker series, a group of tickers at a time: each
 * group becomes one shard per split (x, y, meta), so memory holds one or two groups whatever
 * the dataset size. Shared by the synthetic generator and the CSV importer; the files, the
 * statistics and the manifest are shard-writer.ts's.
 */
import { allocNpy } from './npy.ts';
import { SPLITS, type Manifest } from './manifest.ts';
import { writeShards, type ShardBuffers } from './shard-writer.ts';
import { FEATURE_COUNT, FEATURE_NAMES, TARGET_NAME, prepareFeatures, writeFeatureRows, featureScratch } from './features.ts';
import { splitRanges, type DateSplit, type SplitRanges } from './split.ts';
import type { OhlcvSeries } from './market.ts';
import type { ProgressHook } from '../progress.ts';
import { checkFreeSpace } from '../util/disk.ts';
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

/** Most shard groups one dataset has: the manifest lists every shard (3 per group, ~450 bytes each). */
export const MAX_SHARD_GROUPS = 20_000;

/** Bytes a row takes on disk: FEATURE_COUNT float32 features, a float32 target, two int32 meta values. */
export const BYTES_PER_ROW = FEATURE_COUNT * 4 + 4 + 8;

export interface WriteDatasetOptions {
  out: string;
  force: boolean;
  source: TickerSource;
  split: DateSplit;
  /** Tickers per shard group. */
  shardTickers: number;
  /** Rows the dataset will have (an estimate is enough): checked against the free disk space first. */
  rows?: number;
  /** What is writing, recorded in the output's lock. Default 'caplab data'. */
  what?: string;
  /** Everything in the manifest the writer does not fill in itself. */
  manifest: Pick<Manifest, 'source' | 'split' | 'generator' | 'tickers' | 'dates'>;
  onProgress?: ProgressHook;
}

const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Fills one group's shards in memory. It yields to the event loop between tickers so the
 * previous group's file writes, which need this thread between their steps, keep moving.
 */
async function buildGroup(source: TickerSource, g: number, tickers: number[], split: DateSplit, scratch: ReturnType<typeof featureScratch>): Promise<ShardBuffers[]> {
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
      x: allocNpy('<f4', [rows, FEATURE_COUNT]),
      y: allocNpy('<f4', [rows]),
      meta: allocNpy('<i4', [rows, 2]),
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

export interface WrittenDataset {
  path: string;
  manifest: Manifest;
}

/** Builds the whole dataset in a temp folder and renames it to `out` when complete. */
export async function writeDataset(options: WriteDatasetOptions): Promise<WrittenDataset> {
  const { source, split, shardTickers, onProgress } = options;
  if (options.rows !== undefined) {
    await checkFreeSpace(options.out, options.rows * BYTES_PER_ROW, `The dataset (${options.rows.toLocaleString('en-US')} rows)`);
  }
  const groupCount = Math.ceil(source.count / shardTickers);
  if (groupCount > MAX_SHARD_GROUPS) {
    throw new CaplabError('too-big', `${source.count.toLocaleString('en-US')} tickers at ${shardTickers} per shard make ${groupCount.toLocaleString('en-US')} shard groups; the limit is ${MAX_SHARD_GROUPS.toLocaleString('en-US')} (the manifest lists every shard).`, {
      hint: 'Write fewer tickers, or more tickers per shard.',
    });
  }
  // Made when written, not all up front: a group list of every ticker can itself be huge.
  const group = (g: number) => {
    const ids: number[] = [];
    for (let t = g * shardTickers; t < Math.min(source.count, (g + 1) * shardTickers); t++) ids.push(t);
    return ids;
  };
  async function* groups(): AsyncGenerator<ShardBuffers[]> {
    const scratch = featureScratch();
    for (let g = 0; g < groupCount; g++) yield buildGroup(source, g, group(g), split, scratch);
  }
  const manifest = await writeShards({
    out: options.out,
    force: options.force,
    features: [...FEATURE_NAMES],
    target: TARGET_NAME,
    groups: groups(),
    shardCount: groupCount * SPLITS.length,
    what: options.what,
    manifest: options.manifest,
    onProgress,
  });
  return { path: options.out, manifest };
}
