/**
 * A built group's files written into a folder, and its train rows reduced to moments: what the
 * generator threads do with each group, kept apart from the folder and manifest logic so a thread
 * loads only what it runs.
 */
import { join } from 'node:path';
import { writeNpyBuffer, type NpyBuffer } from './npy.ts';
import type { Shard, Split } from './manifest.ts';
import { chunkMoments, type ChunkMoments } from './stats.ts';

/** One shard's rows in memory, with the npy headers in front of them. */
export interface ShardBuffers {
  split: Split;
  /** File name stem: the files are `<name>-x.npy`, `<name>-y.npy` and `<name>-meta.npy`. */
  name: string;
  rows: number;
  /** Row-major features, rows × features. */
  x: NpyBuffer<Float32Array>;
  y: NpyBuffer<Float32Array>;
  /** Ticker id and day index of each row, when the rows have them. */
  meta?: NpyBuffer<Int32Array>;
  tickers?: Shard['tickers'];
}

/** One group's shards once on disk, with the moments of its train rows for the statistics. */
export interface WrittenGroup {
  /** In the group's order; the manifest lists them so. */
  shards: Shard[];
  /** `chunkMoments` of each train shard of the group, in order. */
  train: ChunkMoments[];
}

/** Writes one group's files into `dir` (x, y and meta of every shard at once) and returns their manifest entries. */
export async function writeGroupFiles(dir: string, group: ShardBuffers[]): Promise<Shard[]> {
  return Promise.all(group.map(async (sh) => {
    const file = (part: string) => `${sh.name}-${part}.npy`;
    const [x, y, meta] = await Promise.all([
      writeNpyBuffer(join(dir, file('x')), sh.x),
      writeNpyBuffer(join(dir, file('y')), sh.y),
      sh.meta ? writeNpyBuffer(join(dir, file('meta')), sh.meta) : undefined,
    ]);
    const shard: Shard = { split: sh.split, rows: sh.rows, x: { file: file('x'), ...x }, y: { file: file('y'), ...y } };
    if (meta) shard.meta = { file: file('meta'), ...meta };
    if (sh.tickers) shard.tickers = sh.tickers;
    return shard;
  }));
}

/** The train shards' moments of a group built in memory. */
export function trainMoments(group: ShardBuffers[], width: number): ChunkMoments[] {
  return group.filter((sh) => sh.split === 'train').map((sh) => chunkMoments(sh.x.data, sh.y.data, width, 0, sh.rows));
}

