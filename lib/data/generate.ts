/** `generateDataset`: the seeded synthetic market written as a dataset folder. */
import { CaplabError } from '../errors.ts';
import type { ProgressHook } from '../progress.ts';
import type { Manifest } from './manifest.ts';
import { availableParallelism } from 'node:os';
import { syntheticDate } from './market.ts';
import { syntheticSource } from './synthetic-source.ts';
import { FEATURE_NAMES, WARMUP } from './features.ts';
import { dateSplit } from './split.ts';
import { BYTES_PER_ROW, MAX_SHARD_GROUPS, writeDataset, writeSyntheticInWorkers } from './writer.ts';

export { syntheticSource } from './synthetic-source.ts';
import { formatBytes } from '../util/format.ts';
import { checkInteger, checkOut } from './options.ts';
import { withDefaults } from '../util/defaults.ts';

export interface GenerateOptions {
  /** Folder to write (must not exist unless `force`). Required. */
  out: string;
  /**
   * Size relative to the base: round(tickers × scale) tickers over the same days. Any positive
   * number whose ticker count rounds to at least 1 (0.5 = half the base tickers, 200 = 200×).
   * Default 1. Ticker i is the same in every scale, so a larger scale is the base plus new
   * tickers, never copies.
   */
  scale?: number;
  /** Base (1×) ticker count. Default 100. */
  tickers?: number;
  /** Trading days with rows (plus 60 warm-up days and one day for the last target). Default 1260. */
  days?: number;
  /** Seed of the market; same seed and options give byte-identical shards. Default 42. */
  seed?: number;
  /** Replace an existing `out` folder. Default false. */
  force?: boolean;
  /** Tickers per shard group. Default: the base tickers, at most 250,000 rows a shard. */
  shardTickers?: number;
  /**
   * Threads that build and write shard groups, this one included: N uses N − 1 worker threads
   * beside this one; 0 or 1 builds every group on this thread. Default: the cores this process
   * may use (os.availableParallelism()), at most one per group. The bytes are the same whatever
   * the count.
   */
  workers?: number;
  onProgress?: ProgressHook;
}

export interface DatasetSummary {
  path: string;
  rows: number;
  /** Feature count. */
  features: number;
  featureNames: string[];
  bytes: number;
  shards: number;
  seconds: number;
  manifest: Manifest;
}

export const GENERATE_DEFAULTS: Required<Pick<GenerateOptions, 'scale' | 'tickers' | 'days' | 'seed' | 'force'>> = { scale: 1, tickers: 100, days: 1260, seed: 42, force: false };

/** Fewest row days: each split needs at least one day after the embargo. */
export const MIN_DAYS = 20;
/** Most tickers: ticker ids are int32 in the shards' meta. */
export const MAX_TICKERS = 2 ** 31 - 1;

/** Checks the options and works out the sizes; throws CaplabError naming the bad field. */
export function resolveGenerateOptions(options: GenerateOptions) {
  const o = withDefaults(GENERATE_DEFAULTS, options);
  const out = checkOut(o.out);
  const scale = o.scale as unknown;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0) {
    throw new CaplabError('bad-option', `scale must be a positive number, got ${JSON.stringify(scale)}.`, {
      hint: 'Use e.g. --scale 1 for the base dataset or --scale 10 for ten times as many tickers.',
    });
  }
  const baseTickers = checkInteger('tickers', o.tickers, 1);
  const days = checkInteger('days', o.days, MIN_DAYS, 100_000);
  const seed = checkInteger('seed', o.seed, 0);
  const tickers = Math.round(baseTickers * scale);
  if (tickers > MAX_TICKERS) {
    throw new CaplabError('too-big', `scale ${scale} × ${baseTickers} tickers is ${tickers.toExponential(3)} tickers; the limit is ${MAX_TICKERS.toLocaleString('en-US')} (ticker ids are 32-bit).`, {
      hint: `Use a scale of at most ${Math.floor(MAX_TICKERS / baseTickers).toLocaleString('en-US')}; the disk must hold the rows as well (about ${BYTES_PER_ROW} bytes each).`,
    });
  }
  if (tickers < 1) {
    throw new CaplabError('bad-option', `scale ${scale} × ${baseTickers} tickers rounds to no tickers at all.`, {
      hint: `Use a scale of at least ${(0.5 / baseTickers).toPrecision(2)}.`,
    });
  }
  const shardTickers = o.shardTickers === undefined ? Math.max(1, Math.min(baseTickers, Math.floor(250_000 / days))) : checkInteger('shardTickers', o.shardTickers, 1);
  const groups = Math.ceil(tickers / shardTickers);
  if (groups > MAX_SHARD_GROUPS) {
    const most = MAX_SHARD_GROUPS * shardTickers;
    throw new CaplabError('too-big', `scale ${scale} × ${baseTickers} tickers is ${tickers.toLocaleString('en-US')} tickers, ${groups.toLocaleString('en-US')} shard groups of ${shardTickers}; the limit is ${MAX_SHARD_GROUPS.toLocaleString('en-US')} groups (${most.toLocaleString('en-US')} tickers).`, {
      hint: `Use a scale of at most ${Math.floor(most / baseTickers).toLocaleString('en-US')} (about ${formatBytes(most * days * BYTES_PER_ROW)} on disk).`,
    });
  }
  const workers = o.workers === undefined ? availableParallelism() : checkInteger('workers', o.workers, 0, 256);
  return { out, scale, baseTickers, days, seed, tickers, shardTickers, workers, force: Boolean(o.force), onProgress: o.onProgress };
}

/**
 * Generates the synthetic market dataset into `options.out`, streamed a shard group at a time.
 *
 * @example await generateDataset({ out: 'data/base', scale: 1 })
 */
export async function generateDataset(options: GenerateOptions): Promise<DatasetSummary> {
  const start = performance.now();
  const o = resolveGenerateOptions(options);
  const split = dateSplit(WARMUP, WARMUP + o.days);
  const common = {
    out: o.out,
    force: o.force,
    rows: o.tickers * o.days,
    what: 'data generate',
    split,
    shardTickers: o.shardTickers,
    onProgress: o.onProgress,
    manifest: {
      source: { type: 'synthetic' as const, seed: o.seed, scale: o.scale, tickers: o.tickers, days: o.days, baseTickers: o.baseTickers, warmupDays: WARMUP },
      split: {
        firstDate: syntheticDate(WARMUP, WARMUP),
        validationStart: syntheticDate(split.validationStart, WARMUP),
        testStart: syntheticDate(split.testStart, WARMUP),
        lastDate: syntheticDate(WARMUP + o.days - 1, WARMUP),
      },
      generator: { name: 'caplab-synthetic-market', version: '1' },
    },
  };
  const { manifest } = o.workers <= 1
    ? await writeDataset({ ...common, source: syntheticSource(o.seed, o.tickers, o.days) })
    : await writeSyntheticInWorkers({ ...common, synthetic: { seed: o.seed, tickers: o.tickers, days: o.days }, workers: o.workers });
  return summarize(o.out, manifest, start);
}

export function summarize(path: string, manifest: Manifest, start: number): DatasetSummary {
  return {
    path,
    rows: manifest.rows.total,
    features: manifest.features.length,
    featureNames: [...FEATURE_NAMES],
    bytes: manifest.bytes,
    shards: manifest.shards.length,
    seconds: (performance.now() - start) / 1000,
    manifest,
  };
}
