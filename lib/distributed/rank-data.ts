/**
 * One rank's share of each split, read from the shards straight into one preallocated pair of
 * arrays per split: a rank never holds the other ranks' rows, and its rows exist in memory once.
 * Training uses the train share; validation and test shares are evaluated where they are and
 * reduced over the ranks (rank-evaluate.ts).
 *
 * Which rows, per split: with at least as many shards of the split as ranks, rank r takes whole
 * shards i with i % worldSize == r (on Kubernetes a pod reads only its own files). With fewer
 * shards, the split's rows (shards concatenated in manifest order) are cut into worldSize
 * contiguous ranges of near-equal size, and each rank reads only its byte range of the files.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { CaplabError } from '../errors.ts';
import { readNpyHeader } from '../data/npy.ts';
import type { Manifest, Shard, Split } from '../data/manifest.ts';
import { allocateSplit } from '../train/dataset.ts';
import type { SplitArrays } from '../train/types.ts';

/** Rows [start, start + rows) of one train shard. */
export interface RowRange {
  shard: Shard;
  start: number;
  rows: number;
}

export interface RankShare {
  train: SplitArrays;
  validation: SplitArrays;
  test: SplitArrays;
  /** How the train split was divided. 'shards': whole shards i % worldSize == rank; 'rows': a contiguous row range. */
  by: 'shards' | 'rows';
  /** The train rows this rank holds. */
  ranges: RowRange[];
}

/** The row ranges of `split` (default train) rank `rank` of `worldSize` holds (no I/O). */
export function rankRanges(manifest: Manifest, rank: number, worldSize: number, split: Split = 'train'): { by: RankShare['by']; ranges: RowRange[] } {
  const shards = manifest.shards.filter((s) => s.split === split);
  if (shards.length >= worldSize) {
    return { by: 'shards', ranges: shards.filter((_, i) => i % worldSize === rank).map((shard) => ({ shard, start: 0, rows: shard.rows })) };
  }
  const total = shards.reduce((a, s) => a + s.rows, 0);
  const from = Math.floor((rank * total) / worldSize);
  const to = Math.floor(((rank + 1) * total) / worldSize);
  const ranges: RowRange[] = [];
  let first = 0;
  for (const shard of shards) {
    const lo = Math.max(from, first);
    const hi = Math.min(to, first + shard.rows);
    if (hi > lo) ranges.push({ shard, start: lo - first, rows: hi - lo });
    first += shard.rows;
  }
  return { by: 'rows', ranges };
}

/** Reads rows [start, start + rows) of a float32 .npy file with `width` values per row into `target` at element `offset`. */
async function readRowsInto(path: string, width: number, start: number, rows: number, target: Float32Array, offset: number): Promise<number[]> {
  const header = await readNpyHeader(path);
  if (header.dtype !== '<f4') throw new CaplabError('npy-dtype', `${path} holds ${header.dtype}, expected <f4.`);
  const bytes = new Uint8Array(target.buffer, target.byteOffset + offset * 4, rows * width * 4);
  const fh = await open(path, 'r');
  try {
    let done = 0;
    const at = header.dataOffset + start * width * 4;
    while (done < bytes.length) {
      const { bytesRead } = await fh.read(bytes, done, bytes.length - done, at + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    if (done !== bytes.length) {
      throw new CaplabError('npy-truncated', `${path} ended after ${done} of ${bytes.length} bytes of rows ${start}..${start + rows}.`, { hint: 'Regenerate the dataset.' });
    }
  } finally {
    await fh.close();
  }
  return header.shape;
}

/** Reads one split's share of rows into one pair of arrays. */
async function loadRanges(dir: string, width: number, ranges: RowRange[]): Promise<SplitArrays> {
  const out = allocateSplit(ranges.reduce((a, r) => a + r.rows, 0), width);
  let row = 0;
  for (const r of ranges) {
    const xShape = await readRowsInto(join(dir, r.shard.x.file), width, r.start, r.rows, out.x, row * width);
    const yShape = await readRowsInto(join(dir, r.shard.y.file), 1, r.start, r.rows, out.y, row);
    if (xShape[0] !== r.shard.rows || xShape[1] !== width || yShape[0] !== r.shard.rows) {
      throw new CaplabError('shard-shape', `Shard ${r.shard.x.file} in ${dir} has shape (${xShape.join(', ')}); the manifest says ${r.shard.rows} rows × ${width} features.`, {
        hint: 'The dataset folder is inconsistent; regenerate it.',
      });
    }
    row += r.rows;
  }
  return out;
}

/** Loads this rank's share of every split into memory (raw values, unscaled). */
export async function loadRankShare(dir: string, manifest: Manifest, rank: number, worldSize: number): Promise<RankShare> {
  const width = manifest.features.length;
  const { by, ranges } = rankRanges(manifest, rank, worldSize);
  return {
    train: await loadRanges(dir, width, ranges),
    validation: await loadRanges(dir, width, rankRanges(manifest, rank, worldSize, 'validation').ranges),
    test: await loadRanges(dir, width, rankRanges(manifest, rank, worldSize, 'test').ranges),
    by,
    ranges,
  };
}
