/**
 * Where an epoch's batches come from: the rows one process holds, in memory (shuffled each
 * epoch) or streamed shard by shard from disk. Single-process training and every data-parallel
 * rank use these; a rank's source simply holds its share of the rows.
 */
import type { InMemoryDataset, SplitArrays } from './types.ts';
import { fillBatch, type Scaler } from './batches.ts';
import type { Batch } from './mlp.ts';
import { shuffledOrder } from './rng.ts';
import { shardsInRandomOrder, type ShardStream } from './streamed.ts';

export interface EpochSource {
  /** Rows this source holds. */
  rows: number;
  /** Runs one epoch's steps through `step`; returns when done or when `maxSteps` is reached. */
  run(step: (batch: Batch) => Promise<void>, maxSteps: number): Promise<void>;
}

export interface InMemorySourceOptions {
  /** Rows per batch. */
  batchSize: number;
  scaler: Scaler;
  /** The shuffle stream (seeded: same seed, same order). */
  random: () => number;
  /**
   * Steps per epoch. Default ceil(rows / batchSize). More steps than that pass empty batches
   * (rows 0): a data-parallel rank with fewer rows still takes part in every step.
   */
  steps?: number;
}

/** Batches from rows held in memory, in a new seeded order each epoch. */
export function inMemorySource(train: SplitArrays, batch: Batch, o: InMemorySourceOptions): EpochSource {
  const order = new Uint32Array(train.rows);
  const steps = o.steps ?? Math.ceil(train.rows / o.batchSize);
  return {
    rows: train.rows,
    async run(step, maxSteps) {
      shuffledOrder(order, o.random);
      const n = Math.min(steps, maxSteps);
      for (let s = 0, start = 0; s < n; s++, start += o.batchSize) {
        await step(fillBatch(batch, train, order, start, Math.max(0, Math.min(o.batchSize, train.rows - start)), o.scaler));
      }
    },
  };
}

/** Batches streamed from the train shards on disk: shards in a new order each epoch, rows shuffled within a shard. */
export function streamedSource(ds: InMemoryDataset, stream: ShardStream, batch: Batch, batchSize: number, scaler: Scaler, random: { rows: () => number; shards: () => number }): EpochSource {
  const order = new Uint32Array(stream.buffer.rows);
  return {
    rows: stream.rows,
    async run(step, maxSteps) {
      let steps = 0;
      for await (const { data } of shardsInRandomOrder(ds.dir, ds.manifest, stream, random.shards)) {
        const rowOrder = shuffledOrder(order.subarray(0, data.rows), random.rows);
        for (let start = 0; start < data.rows && steps < maxSteps; start += batchSize, steps++) {
          await step(fillBatch(batch, data, rowOrder, start, Math.min(batchSize, data.rows - start), scaler));
        }
        if (steps >= maxSteps) break;
      }
    },
  };
}
