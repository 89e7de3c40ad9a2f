/**
 * Streamed training data: the train split's shards are read from disk one at a time, into one
 * reused buffer the size of the largest shard, so memory holds a shard, not the split.
 */
import type { Manifest, Shard } from '../data/manifest.ts';
import { allocateSplit, readShardInto } from './dataset.ts';
import { shuffledOrder } from './rng.ts';
import { statsAccumulator } from '../data/stats.ts';
import { standardization, type Standardization } from './scaling.ts';
import type { SplitArrays } from './types.ts';

export interface ShardStream {
  shards: Shard[];
  /** The reused buffer (largest train shard). */
  buffer: SplitArrays;
  rows: number;
}

export function trainShardStream(manifest: Manifest): ShardStream {
  const shards = manifest.shards.filter((s) => s.split === 'train');
  const largest = shards.reduce((a, s) => Math.max(a, s.rows), 0);
  return { shards, buffer: allocateSplit(largest, manifest.features.length), rows: shards.reduce((a, s) => a + s.rows, 0) };
}

/** One pass over the train shards for the standardization statistics. */
export async function scanTrainStats(dir: string, manifest: Manifest, stream: ShardStream): Promise<Standardization> {
  const acc = statsAccumulator(manifest.features.length);
  for (const shard of stream.shards) {
    await readShardInto(dir, manifest, shard, stream.buffer, 0);
    acc.add(stream.buffer.x, stream.buffer.y, 0, shard.rows);
  }
  return standardization(acc.result());
}

/**
 * Yields the train shards in a seeded random order, each read into the stream's buffer (valid
 * until the next one is read); rows keep their on-disk order, the caller shuffles them.
 */
export async function* shardsInRandomOrder(dir: string, manifest: Manifest, stream: ShardStream, random: () => number): AsyncGenerator<{ shard: Shard; data: SplitArrays }> {
  const order = shuffledOrder(new Uint32Array(stream.shards.length), random);
  for (const i of order) {
    const shard = stream.shards[i];
    await readShardInto(dir, manifest, shard, stream.buffer, 0);
    yield { shard, data: { x: stream.buffer.x, y: stream.buffer.y, rows: shard.rows } };
  }
}
