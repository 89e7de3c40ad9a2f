/**
 * trainModel: single-process training (the epoch loop itself is lib/train/loop.ts, shared with
 * data-parallel ranks). Data stays in one copy (in memory, or streamed shard by
 * shard); standardization comes from the train split only; the best epoch is chosen by
 * validation loss; the test split is only ever predicted and reported.
 */
import { CaplabError } from '../errors.ts';
import { initBackend } from './backend.ts';
import { allocateBatch, scalerFrom } from './batches.ts';
import { validateModelConfig, type ModelConfig } from './config.ts';
import { loadDataset } from './dataset.ts';
import { inMemorySource, streamedSource } from './epoch-source.ts';
import { evaluator } from './evaluate.ts';
import { checkMaxSteps, runEpochs, trainResult, type GradientStep } from './loop.ts';
import { Mlp } from './mlp.ts';
import { seededUniform, TRAIN_STREAM } from './rng.ts';
import { fitStandardization, type Standardization } from './scaling.ts';
import { StepThreads } from './step-threads.ts';
import { scanTrainStats, trainShardStream } from './streamed.ts';
import type { InMemoryDataset, TrainOptions, TrainResult } from './types.ts';

/**
 * Trains the regression MLP on a dataset folder (or one already loaded) and reports metrics on
 * validation and test beside naive baselines. Deterministic for a given seed, backend and data.
 *
 * ```ts
 * const r = await trainModel('data/market-1x', { config: { hidden: [64, 32], epochs: 5 } });
 * console.log(r.backend, r.rowsPerSecond, r.metrics.test.rmse, r.metrics.test.baselines.zero.rmse);
 * ```
 */
export async function trainModel(data: string | InMemoryDataset, options: TrainOptions = {}): Promise<TrainResult> {
  const config: ModelConfig = validateModelConfig(options.config ?? {});
  checkMaxSteps(options.maxSteps);
  const streamed = options.streamed ?? false;
  if (streamed && typeof data !== 'string') {
    throw new CaplabError('bad-config', 'streamed training reads shards from disk, but a loaded dataset was passed.', {
      hint: 'Pass the dataset folder (a string) with streamed: true.',
    });
  }
  const backend = await initBackend(options.backend ?? 'auto');
  const ds = typeof data === 'string' ? await loadDataset(data, streamed ? { splits: ['validation', 'test'] } : {}) : data;
  const stream = streamed ? trainShardStream(ds.manifest) : null;
  const trainRows = stream ? stream.rows : ds.train.rows;
  const width = ds.features.length;
  if (trainRows === 0 || ds.validation.rows === 0) {
    throw new CaplabError('dataset-empty', `Dataset ${ds.dir} has ${trainRows} train and ${ds.validation.rows} validation rows; training needs both.`, {
      hint: 'Generate a larger dataset (more days or tickers).',
    });
  }

  const started = performance.now();
  const stats: Standardization = stream ? await scanTrainStats(ds.dir, ds.manifest, stream) : fitStandardization(ds.train.x, ds.train.y, ds.train.rows, width);
  const scaler = scalerFrom(stats);
  const batchSize = Math.min(config.batchSize, trainRows);
  // No transposed copy: the wasm route never reads it, and the tfjs route makes it when needed.
  const batch = allocateBatch(batchSize, width, false);
  const random = { rows: seededUniform(config.seed, TRAIN_STREAM.shuffle), shards: seededUniform(config.seed, TRAIN_STREAM.shardOrder) };
  const source = stream
    ? streamedSource(ds, stream, batch, batchSize, scaler, random)
    : inMemorySource(ds.train, batch, { batchSize, scaler, random: random.rows });
  const evaluate = evaluator(ds.validation, ds.test, scaler);

  const mlp = new Mlp(width, config);
  let threads: StepThreads | null = null;
  try {
    // The native backend already spreads its ops over every core.
    const split = backend === 'tensorflow' ? 1 : (options.threads ?? 1);
    threads = await StepThreads.start({ threads: split, backend, inputs: width, config, maxRows: batchSize }, mlp.size);
    // The local gradient step: this process's batch is the whole step (split over threads when asked).
    const step: GradientStep = threads
      ? (b) => ({ lossSum: threads!.step(mlp, b) * b.rows, rows: b.rows })
      : (b) => ({ lossSum: mlp.trainStep(b) * b.rows, rows: b.rows });
    const out = await runEpochs({
      mlp, source, step, validate: () => evaluate.valLoss(mlp),
      epochs: config.epochs, maxSteps: options.maxSteps, onProgress: options.onProgress, onEpoch: options.onEpoch, signal: options.signal,
    });
    return trainResult(out, mlp, { backend, config, rows: trainRows, started, evaluator: evaluate, stats });
  } finally {
    await threads?.close();
    mlp.dispose();
  }
}
