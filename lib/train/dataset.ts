/**
 * Loads a dataset folder into memory the frugal way: one preallocated Float32Array per split and
 * role, filled straight from the .npy shards, so the data exists in memory exactly once.
 */
import { join } from 'node:path';
import { CaplabError } from '../errors.ts';
import { readNpyInto } from '../data/npy.ts';
import { readManifest, splitRows, verifyDataset, SPLITS, type Manifest, type Shard, type Split } from '../data/manifest.ts';
import type { InMemoryDataset, SplitArrays } from './types.ts';
import { withDefaults } from '../util/defaults.ts';

export interface LoadDatasetOptions {
  /** Check every shard's sha256 against the manifest before loading. Default false (shapes are always checked). */
  verify?: boolean;
  /** Splits to load; the others come back with zero rows (streamed training skips 'train'). Default all three. */
  splits?: Split[];
}

const defaults: Required<LoadDatasetOptions> = { verify: false, splits: [...SPLITS] };

/** Reads one shard's x and y into `target` at row `row`, checking the shard's shape on the way. */
export async function readShardInto(dir: string, manifest: Manifest, shard: Shard, target: SplitArrays, row: number): Promise<void> {
  const width = manifest.features.length;
  const hx = await readNpyInto(join(dir, shard.x.file), target.x, row * width);
  const hy = await readNpyInto(join(dir, shard.y.file), target.y, row);
  const xOk = hx.shape.length === 2 && hx.shape[0] === shard.rows && hx.shape[1] === width;
  const yOk = hy.shape[0] === shard.rows && hy.shape.slice(1).every((d) => d === 1);
  if (!xOk || !yOk) {
    throw new CaplabError(
      'shard-shape',
      `Shard ${shard.x.file} / ${shard.y.file} in ${dir} has shapes (${hx.shape.join(', ')}) / (${hy.shape.join(', ')}); the manifest says ${shard.rows} rows × ${width} features.`,
      { hint: 'The dataset folder is inconsistent; regenerate it.' },
    );
  }
}

/** Allocates one split's arrays (rows × features and rows) with nothing in them yet. */
export function allocateSplit(rows: number, width: number): SplitArrays {
  return { x: new Float32Array(rows * width), y: new Float32Array(rows), rows };
}

/**
 * Loads `dir` (a folder with manifest.json and .npy shards) into memory. Values are raw, as
 * written: scaling happens in training with statistics from the train split only.
 */
export async function loadDataset(dir: string, options: LoadDatasetOptions = {}): Promise<InMemoryDataset> {
  const o = withDefaults(defaults, options);
  const manifest = o.verify ? await verifyDataset(dir, { checksums: true }) : await readManifest(dir);
  const width = manifest.features.length;
  const out = {} as Record<Split, SplitArrays>;
  for (const split of SPLITS) {
    const wanted = o.splits.includes(split);
    const rows = wanted ? splitRows(manifest, split) : 0;
    const arrays = allocateSplit(rows, width);
    if (wanted) {
      let row = 0;
      for (const shard of manifest.shards.filter((s) => s.split === split)) {
        await readShardInto(dir, manifest, shard, arrays, row);
        row += shard.rows;
      }
    }
    out[split] = arrays;
  }
  return { dir, manifest, features: [...manifest.features], train: out.train, validation: out.validation, test: out.test };
}
