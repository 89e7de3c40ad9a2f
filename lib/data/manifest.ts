/**
 * The dataset format: a folder with `manifest.json` and float32 `.npy` shards. This file is the
 * contract every stage reads; change `SCHEMA_VERSION` when it changes shape.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CaplabError } from '../errors.ts';
import { readNpyHeader, sha256File } from './npy.ts';

export const SCHEMA_VERSION = 1;

export type Split = 'train' | 'validation' | 'test';
export const SPLITS: readonly Split[] = ['train', 'validation', 'test'];

export interface ShardFile {
  /** File name inside the dataset folder. */
  file: string;
  sha256: string;
  bytes: number;
}

export interface Shard {
  split: Split;
  rows: number;
  /** float32, shape (rows, features). */
  x: ShardFile;
  /** float32, shape (rows,): the next-day return. */
  y: ShardFile;
  /** int32, shape (rows, 2): ticker id and day index of each row, for plots and checks. */
  meta?: ShardFile;
  /** The tickers whose rows this shard holds: ids first … first + count − 1. */
  tickers?: { first: number; count: number };
}

/** Mean and standard deviation of each feature and of the target over the train split. */
export interface FeatureStats {
  rows: number;
  mean: number[];
  std: number[];
  targetMean: number;
  targetStd: number;
}

export interface Manifest {
  schemaVersion: number;
  kind: 'caplab-dataset';
  /** How the data came to be. `seed` and `scale` are set for synthetic data. */
  source: {
    type: 'synthetic' | 'csv';
    seed?: number;
    scale?: number;
    tickers: number;
    days: number;
    files?: string[];
    /** Synthetic: base ticker count before scaling, and price days simulated before the first row. */
    baseTickers?: number;
    warmupDays?: number;
    /** CSV: how rows with empty or out-of-range values were handled, and how many. */
    rowPolicy?: {
      emptyOhl: 'fill' | 'skip';
      filledValues: number;
      skippedEmptyOhl: number;
      skippedEmptyClose: number;
      skipBadRows: boolean;
      skippedBadRows: number;
    };
  };
  /** Ticker names by id (CSV imports; synthetic tickers are named SYN00000 + id). */
  tickers?: string[];
  /** The calendar: ISO date of each day index (CSV imports; synthetic days are weekdays). */
  dates?: string[];
  /** Train-split statistics, for standardising inputs without another pass over the data. */
  stats?: FeatureStats;
  features: string[];
  target: string;
  rows: { train: number; validation: number; test: number; total: number };
  /** Dates (YYYY-MM-DD): train rows are before `validationStart`, test rows from `testStart`. */
  split: { firstDate: string; validationStart: string; testStart: string; lastDate: string };
  shards: Shard[];
  bytes: number;
  createdAt: string;
  generator: { name: string; version: string };
}

export const MANIFEST_FILE = 'manifest.json';
/** Largest manifest read: far above any real one (a 200× dataset's is under 1 MB). */
export const MAX_MANIFEST_BYTES = 64 * 2 ** 20;

/** Whether `dir` holds a caplab dataset manifest (so `--force` may replace it). */
export async function isDatasetFolder(dir: string): Promise<boolean> {
  try {
    const m = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as Partial<Manifest>;
    return m.kind === 'caplab-dataset';
  } catch {
    return false;
  }
}

/** A shard's file name must name a file in the dataset folder itself: no folders, no way out. */
function checkShardFile(path: string, f: unknown, where: string): void {
  const file = (f as ShardFile | undefined)?.file;
  if (typeof file !== 'string' || file === '' || file === '.' || file === '..' || /[/\\\0]/.test(file)) {
    throw new CaplabError('manifest-invalid', `${path}: ${where} names the file ${JSON.stringify(file)}, which is not a file inside the dataset folder.`, {
      hint: 'Shard files are plain names in the folder (e.g. train-00000-x.npy); regenerate the dataset.',
    });
  }
}

/** The checks of a manifest's shape that everything reading shards relies on. */
function checkManifestShape(m: Manifest, path: string): void {
  const count = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (!Array.isArray(m.shards) || !Array.isArray(m.features) || !m.rows || typeof m.rows !== 'object') {
    throw new CaplabError('manifest-invalid', `${path} lacks its shard list, feature names or row counts.`, { hint: 'Regenerate the dataset.' });
  }
  m.shards.forEach((sh, i) => {
    if (!sh || typeof sh !== 'object' || !SPLITS.includes(sh.split) || !count(sh.rows)) {
      throw new CaplabError('manifest-invalid', `${path}: shard ${i} has no valid split and row count.`, { hint: 'Regenerate the dataset.' });
    }
    checkShardFile(path, sh.x, `shard ${i} x`);
    checkShardFile(path, sh.y, `shard ${i} y`);
    if (sh.meta !== undefined) checkShardFile(path, sh.meta, `shard ${i} meta`);
  });
}

/** Reads and checks a manifest's shape (not the shard contents: see `verifyDataset`). */
export async function readManifest(dir: string): Promise<Manifest> {
  const path = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    const size = (await stat(path)).size;
    if (size > MAX_MANIFEST_BYTES) {
      throw new CaplabError('manifest-invalid', `${path} is ${size} bytes, more than a dataset manifest can be (${MAX_MANIFEST_BYTES}).`, {
        hint: 'This is not a caplab manifest; point at the dataset folder caplab wrote.',
      });
    }
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof CaplabError) throw e;
    throw new CaplabError('dataset-missing', `No dataset at ${dir} (cannot read ${path}).`, {
      hint: 'Create one with `caplab data generate --scale 1 --out ' + dir + '`.',
      cause: e,
    });
  }
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch (e) {
    throw new CaplabError('manifest-invalid', `${path} is not valid JSON.`, { hint: 'Regenerate the dataset.', cause: e });
  }
  if (!m || typeof m !== 'object' || m.kind !== 'caplab-dataset' || typeof m.schemaVersion !== 'number') {
    throw new CaplabError('manifest-invalid', `${path} is not a caplab dataset manifest.`);
  }
  if (m.schemaVersion !== SCHEMA_VERSION) {
    throw new CaplabError('manifest-version', `${path} has schema version ${m.schemaVersion}; this caplab reads ${SCHEMA_VERSION}.`, {
      hint: 'Regenerate the dataset with this version of caplab.',
    });
  }
  checkManifestShape(m, path);
  return m;
}

/** Rows of one split, summed over its shards. */
export function splitRows(m: Manifest, split: Split): number {
  return m.shards.filter((s) => s.split === split).reduce((a, s) => a + s.rows, 0);
}

/**
 * Checks every shard: present, not truncated, shape matching the manifest and, unless
 * `checksums` is false, the sha256 the manifest recorded.
 */
export async function verifyDataset(dir: string, options: { checksums?: boolean } = {}): Promise<Manifest> {
  const m = await readManifest(dir);
  const checksums = options.checksums ?? true;
  for (const shard of m.shards) {
    for (const [role, f] of [['x', shard.x], ['y', shard.y], ['meta', shard.meta]] as const) {
      if (!f) continue;
      const path = join(dir, f.file);
      const header = await readNpyHeader(path).catch((e: unknown) => {
        if (e instanceof CaplabError) throw e;
        throw new CaplabError('shard-missing', `Shard ${path} listed in the manifest is missing.`, {
          hint: 'The dataset folder is incomplete; regenerate it.',
          cause: e,
        });
      });
      const rows = header.shape[0];
      const width = role === 'x' ? m.features.length : role === 'meta' ? 2 : undefined;
      if (rows !== shard.rows || (width !== undefined && header.shape[1] !== width)) {
        throw new CaplabError('shard-shape', `Shard ${path} has shape (${header.shape.join(', ')}), the manifest says ${shard.rows} rows.`, {
          hint: 'The dataset folder is inconsistent; regenerate it.',
        });
      }
      if (checksums) {
        const sum = await sha256File(path);
        if (sum !== f.sha256) {
          throw new CaplabError('checksum-mismatch', `Shard ${path} does not match its checksum in the manifest (sha256 ${sum.slice(0, 12)}…, expected ${f.sha256.slice(0, 12)}…).`, {
            hint: 'The file was changed or damaged after it was written; regenerate the dataset.',
          });
        }
      }
    }
  }
  return m;
}
