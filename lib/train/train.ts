/**
 * trainModel: the training loop. Data stays in one copy (in memory, or streamed shard by
 * shard); standardization comes from the train split only; the best epoch is chosen by
 * validation loss; the test split is only ever predicted and reported.
 */
import { CaplabError } from '../errors.ts';
import { initBackend } from './backend.ts';
import { allocateBatch, fillBatch, scalerFrom, type Scaler } from './batches.ts';
import { EVAL_CHUNK_ROWS, predictSplit, scaledMse, splitMetrics } from './evaluate.ts';
import { validateModelConfig, type ModelConfig } from './config.ts';
import { loadDataset } from './dataset.ts';
import { Mlp, type Batch } from './mlp.ts';
import { seededUniform, shuffledOrder, TRAIN_STREAM } from './rng.ts';
import { fitStandardization, type Standardization } from './scaling.ts';
import { scanTrainStats, shardsInRandomOrder, trainShardStream, type ShardStream } from './streamed.ts';
import type { EpochReport, InMemoryDataset, SplitArrays, TrainOptions, TrainResult } from './types.ts';

/** Longest stretch of synchronous work before yielding to the event loop (abort signals, IPC, UI). */
const YIELD_EVERY_MS = 200;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function checkOptions(options: TrainOptions): void {
  const m = options.maxSteps;
  if (m !== undefined && (!Number.isInteger(m) || m < 1)) {
    throw new CaplabError('bad-config', `maxSteps is ${JSON.stringify(m)}; it must be a positive integer (steps per epoch).`);
  }
}

interface EpochSource {
  rows: number;
  /** Runs one epoch's steps through `step`; returns when done or when `maxSteps` is reached. */
  run(step: (batch: Batch) => Promise<void>, maxSteps: number): Promise<void>;
}

function inMemorySource(train: SplitArrays, batch: Batch, batchSize: number, scaler: Scaler, seed: number): EpochSource {
  const order = new Uint32Array(train.rows);
  const random = seededUniform(seed, TRAIN_STREAM.shuffle);
  return {
    rows: train.rows,
    async run(step, maxSteps) {
      shuffledOrder(order, random);
      let steps = 0;
      for (let start = 0; start < train.rows && steps < maxSteps; start += batchSize, steps++) {
        await step(fillBatch(batch, train, order, start, Math.min(batchSize, train.rows - start), scaler));
      }
    },
  };
}

function streamedSource(dir: string, ds: InMemoryDataset, stream: ShardStream, batch: Batch, batchSize: number, scaler: Scaler, seed: number): EpochSource {
  const order = new Uint32Array(stream.buffer.rows);
  const rowRandom = seededUniform(seed, TRAIN_STREAM.shuffle);
  const shardRandom = seededUniform(seed, TRAIN_STREAM.shardOrder);
  return {
    rows: stream.rows,
    async run(step, maxSteps) {
      let steps = 0;
      for await (const { data } of shardsInRandomOrder(dir, ds.manifest, stream, shardRandom)) {
        // Rows are shuffled within a shard; shards come in a new order each epoch.
        const rowOrder = shuffledOrder(order.subarray(0, data.rows), rowRandom);
        for (let start = 0; start < data.rows && steps < maxSteps; start += batchSize, steps++) {
          await step(fillBatch(batch, data, rowOrder, start, Math.min(batchSize, data.rows - start), scaler));
        }
        if (steps >= maxSteps) break;
      }
    },
  };
}

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
  checkOptions(options);
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
  const batch = allocateBatch(batchSize, width);
  const source = stream
    ? streamedSource(ds.dir, ds, stream, batch, batchSize, scaler, config.seed)
    : inMemorySource(ds.train, batch, batchSize, scaler, config.seed);
  const maxSteps = options.maxSteps ?? Infinity;
  const chunk = new Float32Array(Math.min(EVAL_CHUNK_ROWS, Math.max(ds.validation.rows, ds.test.rows, 1)) * width);
  const valPred = new Float32Array(ds.validation.rows);

  const mlp = new Mlp(width, config);
  try {
    const epochs: EpochReport[] = [];
    let best = { epoch: 0, valLoss: Infinity, params: mlp.getParams() };
    let stoppedReason: string | undefined;
    let trainSeconds = 0;
    let trainedRows = 0;
    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      if (options.signal?.aborted) {
        stoppedReason = 'aborted';
        break;
      }
      const t0 = performance.now();
      let lossSum = 0;
      let rows = 0;
      let lastYield = t0;
      await source.run(async (b) => {
        lossSum += mlp.trainStep(b) * b.rows;
        rows += b.rows;
        const now = performance.now();
        if (now - lastYield > YIELD_EVERY_MS) {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
      }, maxSteps);
      const stepSeconds = (performance.now() - t0) / 1000;
      const valLoss = scaledMse(predictSplit(mlp, ds.validation, scaler, chunk, valPred), ds.validation, scaler);
      const report: EpochReport = {
        epoch,
        loss: lossSum / rows,
        valLoss,
        rows,
        seconds: (performance.now() - t0) / 1000,
        rowsPerSecond: rows / stepSeconds,
      };
      epochs.push(report);
      trainSeconds += stepSeconds;
      trainedRows += rows;
      if (valLoss < best.valLoss) best = { epoch, valLoss, params: mlp.getParams() };
      options.onProgress?.({ kind: 'epoch', epoch, epochs: config.epochs, loss: report.loss, valLoss, seconds: report.seconds });
      const verdict = options.onEpoch?.(report);
      if (!Number.isFinite(report.loss) || !Number.isFinite(valLoss)) {
        stoppedReason = `diverged at epoch ${epoch} (loss ${report.loss}); lower the learning rate`;
        break;
      }
      if (verdict === 'stop') {
        stoppedReason = `stopped by onEpoch after epoch ${epoch}`;
        break;
      }
      await yieldToEventLoop();
      if (options.signal?.aborted) {
        stoppedReason = `aborted after epoch ${epoch}`;
        break;
      }
    }

    mlp.setParams(best.params);
    const validation = splitMetrics(mlp, ds.validation, scaler, stats, chunk, valPred);
    const test = splitMetrics(mlp, ds.test, scaler, stats, chunk, new Float32Array(ds.test.rows));
    const result: TrainResult = {
      backend,
      config,
      rows: trainRows,
      seconds: (performance.now() - started) / 1000,
      rowsPerSecond: trainSeconds > 0 ? trainedRows / trainSeconds : 0,
      epochs,
      bestEpoch: best.epoch,
      stoppedEarly: stoppedReason !== undefined,
      metrics: { validation, test },
    };
    if (stoppedReason !== undefined) result.stoppedReason = stoppedReason;
    return result;
  } finally {
    mlp.dispose();
  }
}
