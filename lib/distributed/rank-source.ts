/**
 * A rank's batches: its rows in memory, in a new seeded order each epoch — the same order,
 * batches and empty trailing batches as trainModel's in-memory source (rank 0 of one rank IS
 * trainModel's order) — with one addition: `prefetch()` fills the step after the current one
 * into a second buffer. The gradient step calls it while it waits for the other ranks'
 * gradients, so copying and standardizing the next batch (a quarter of a step's compute at
 * 1024 rows) overlaps the exchange instead of following it.
 */
import { allocateBatch, fillBatch, type Scaler } from '../train/batches.ts';
import type { EpochSource } from '../train/epoch-source.ts';
import type { Batch } from '../train/mlp.ts';
import { shuffledOrder } from '../train/rng.ts';
import type { SplitArrays } from '../train/types.ts';

export interface RankSource extends EpochSource {
  /** Fills the next step's batch now (no-op at the epoch's last step, or when already filled). */
  prefetch(): void;
  /** Whether the batch being trained is the epoch's last. */
  atLastStep(): boolean;
  /** Seconds spent filling batches so far (prefetched or not). */
  readonly fillSeconds: number;
}

export interface RankSourceOptions {
  /** Rows per batch on this rank. */
  batchSize: number;
  scaler: Scaler;
  /** The shuffle stream; drawn once at the start of each epoch. */
  random: () => number;
  /** Steps per epoch (every rank takes the same number; past its rows a rank gets empty batches). */
  steps: number;
}

export function rankSource(train: SplitArrays, o: RankSourceOptions): RankSource {
  const width = o.scaler.width;
  const buffers = [allocateBatch(o.batchSize, width), allocateBatch(o.batchSize, width)];
  const order = new Uint32Array(train.rows);
  // The step being trained, the epoch's step count, and whether buffers[(step + 1) % 2] already holds step + 1.
  let step = 0;
  let steps = 0;
  let ahead = false;
  let fillMs = 0;
  const fill = (s: number): Batch => {
    const t = performance.now();
    const start = s * o.batchSize;
    const batch = fillBatch(buffers[s % 2], train, order, start, Math.max(0, Math.min(o.batchSize, train.rows - start)), o.scaler);
    fillMs += performance.now() - t;
    return batch;
  };
  return {
    rows: train.rows,
    atLastStep: () => step === steps - 1,
    get fillSeconds() {
      return fillMs / 1000;
    },
    prefetch() {
      if (ahead || step + 1 >= steps) return;
      fill(step + 1);
      ahead = true;
    },
    async run(run, maxSteps) {
      shuffledOrder(order, o.random);
      steps = Math.min(o.steps, maxSteps);
      ahead = false;
      for (step = 0; step < steps; step++) {
        const batch = ahead ? buffers[step % 2] : fill(step);
        ahead = false;
        await run(batch);
      }
    },
  };
}
