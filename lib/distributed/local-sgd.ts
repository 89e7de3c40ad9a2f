/**
 * Opt-in LOCAL SGD — it changes the mathematics. Each rank takes optimizer steps on its own
 * batches alone, and every `every` steps (and at each epoch's end) the ranks replace their
 * parameters with the row-weighted mean of everyone's. That is one exchange per `every` steps
 * instead of one per step, so ranks wait for each other `every` times less often — but the
 * result is NOT what one process at batch k·b computes: the loss curve differs, and each rank
 * keeps its own optimizer state (moments) between averages. After every average, and so at
 * every epoch's end (validation, checkpoint-free results), the replicas are bit-identical.
 * Exact data-parallel training (the default) is allReduceStep in data-parallel.ts.
 */
import type { GradientStep } from '../train/loop.ts';
import type { Mlp } from '../train/mlp.ts';
import type { Group } from './group.ts';
import type { RankSource } from './rank-source.ts';
import type { StepPhases } from './step-phases.ts';

export function localSgdStep(mlp: Mlp, group: Group, source: RankSource, phases: StepPhases, every: number): GradientStep {
  const size = mlp.size;
  // [parameters × rows since the last average, loss × rows, rows]
  const buf = new Float32Array(size + 2);
  const grad = new Float32Array(size);
  const k = group.worldSize;
  let since = 0;
  let lossSum = 0;
  let rows = 0;
  return async (b) => {
    const t0 = performance.now();
    if (b.rows > 0) {
      const { loss } = mlp.gradient(b, grad);
      mlp.applyGradient(grad);
      lossSum += loss * b.rows;
      rows += b.rows;
    }
    const t1 = performance.now();
    phases.gradient += (t1 - t0) / 1000;
    since++;
    // Between averages a step reports nothing: the loop's sums get each window's total once.
    if (since < every && !source.atLastStep()) return { lossSum: 0, rows: 0 };
    since = 0;
    const params = mlp.getParams();
    // Weighted by rows, so a rank that ran out of rows in this window (its parameters stale) counts for nothing.
    for (let i = 0; i < size; i++) buf[i] = params[i] * rows;
    buf[size] = lossSum;
    buf[size + 1] = rows;
    const t2 = performance.now();
    await group.allReduceMean(buf, () => source.prefetch());
    const t3 = performance.now();
    const inv = 1 / buf[size + 1];
    for (let i = 0; i < size; i++) params[i] = buf[i] * inv;
    mlp.setParams(params);
    lossSum = 0;
    rows = 0;
    phases.exchange += (t3 - t2) / 1000;
    phases.update += (t2 - t1 + performance.now() - t3) / 1000;
    phases.batch = source.fillSeconds;
    return { lossSum: buf[size] * k, rows: Math.round(buf[size + 1] * k) };
  };
}
