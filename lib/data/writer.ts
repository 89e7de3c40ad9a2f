/**
 * Writes a dataset folder from any source of ticker series, a group of tickers at a time: each
 * group becomes one shard per split (x, y, meta), so memory holds one or two groups whatever
 * the dataset size. Shared by the synthetic generator and the CSV importer; the files, the
 * statistics and the manifest are shard-writer.ts's.
 */
import { SPLITS, type Manifest } from './manifest.ts';
import { writeShardGroups, writeShards, type ShardBuffers } from './shard-writer.ts';
import { startGroupWorkers } from './generate-parallel.ts';
import { FEATURE_COUNT, FEATURE_NAMES, TARGET_NAME, featureScratch } from './features.ts';
import { buildGroup, groupTickers, reusingAlloc, type TickerSource } from './group-build.ts';
import type { DateSplit } from './split.ts';
import type { ProgressHook } from '../progress.ts';
import { checkFreeSpace } from '../util/disk.ts';
import { CaplabError } from '../errors.ts';

export type { TickerSource } from './group-build.ts';

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

export interface WrittenDataset {
  path: string;
  manifest: Manifest;
}

/** Checks the free disk space and the shard-group count before anything is built; returns the group count. */
async function checkSize(out: string, rows: number | undefined, tickers: number, shardTickers: number): Promise<number> {
  if (rows !== undefined) {
    await checkFreeSpace(out, rows * BYTES_PER_ROW, `The dataset (${rows.toLocaleString('en-US')} rows)`);
  }
  const groupCount = Math.ceil(tickers / shardTickers);
  if (groupCount > MAX_SHARD_GROUPS) {
    throw new CaplabError('too-big', `${tickers.toLocaleString('en-US')} tickers at ${shardTickers} per shard make ${groupCount.toLocaleString('en-US')} shard groups; the limit is ${MAX_SHARD_GROUPS.toLocaleString('en-US')} (the manifest lists every shard).`, {
      hint: 'Write fewer tickers, or more tickers per shard.',
    });
  }
  return groupCount;
}

/** Builds the whole dataset on this thread in a temp folder and renames it to `out` when complete. */
export async function writeDataset(options: WriteDatasetOptions): Promise<WrittenDataset> {
  const { source, split, shardTickers } = options;
  const groupCount = await checkSize(options.out, options.rows, source.count, shardTickers);
  const alloc = reusingAlloc();
  async function* groups(): AsyncGenerator<ShardBuffers[]> {
    const scratch = featureScratch();
    for (let g = 0; g < groupCount; g++) yield buildGroup(source, g, groupTickers(g, shardTickers, source.count), split, scratch, alloc);
  }
  const manifest = await writeShards({ ...folderOptions(options, groupCount), groups: groups(), onWritten: alloc.release });
  return { path: options.out, manifest };
}

export interface WriteSyntheticOptions extends Omit<WriteDatasetOptions, 'source'> {
  /** The synthetic market each worker thread rebuilds its tickers from. */
  synthetic: { seed: number; tickers: number; days: number };
  /** Threads that build groups, this one included (at least 2 to be worth it). */
  workers: number;
}

/** The synthetic dataset built by worker threads: the same bytes as `writeDataset` of `syntheticSource`. */
export async function writeSyntheticInWorkers(options: WriteSyntheticOptions): Promise<WrittenDataset> {
  const { synthetic, split, shardTickers } = options;
  const groupCount = Math.ceil(synthetic.tickers / shardTickers);
  // Started first: the worker threads load their modules while the disk space, the lock and the temp folder are seen to.
  const threads = groupCount <= MAX_SHARD_GROUPS ? startGroupWorkers({ ...synthetic, shardTickers, split }, groupCount, options.workers) : null;
  try {
    await checkSize(options.out, options.rows, synthetic.tickers, shardTickers);
    const manifest = await writeShardGroups({ ...folderOptions(options, groupCount), groups: (dir) => threads!.groups(dir) });
    return { path: options.out, manifest };
  } finally {
    await threads?.stop();
  }
}

function folderOptions(options: Omit<WriteDatasetOptions, 'source'>, groupCount: number) {
  return {
    out: options.out,
    force: options.force,
    features: [...FEATURE_NAMES],
    target: TARGET_NAME,
    shardCount: groupCount * SPLITS.length,
    what: options.what,
    manifest: options.manifest,
    onProgress: options.onProgress,
  };
}
