/** The shapes trainModel takes and returns; other stages (search, memory probe, reports) code against these. */
import type { Manifest } from '../data/manifest.ts';
import type { ProgressHook } from '../progress.ts';
import type { ModelConfig } from './config.ts';

export type BackendChoice = 'auto' | 'node' | 'wasm' | 'cpu';

/** One split held once in memory: `x` is rows × features, row-major; `y` the targets. */
export interface SplitArrays {
  x: Float32Array;
  y: Float32Array;
  rows: number;
}

/** A dataset loaded into memory, raw (unscaled) values straight from the shards. */
export interface InMemoryDataset {
  dir: string;
  manifest: Manifest;
  features: string[];
  train: SplitArrays;
  validation: SplitArrays;
  test: SplitArrays;
}

export interface RegressionMetrics {
  rows: number;
  mse: number;
  rmse: number;
  mae: number;
  /** 1 − SSE/SST, SST around the evaluated split's own mean. */
  r2: number;
  /**
   * Share of rows where the prediction's sign matches the target's; rows with a zero target are
   * left out and a zero prediction counts as half right (no call is a coin flip).
   */
  directionalAccuracy: number;
}

export type MetricsWithBaselines = RegressionMetrics & {
  baselines: { zero: RegressionMetrics; trainMean: RegressionMetrics };
};

export interface EpochReport {
  /** 1-based. */
  epoch: number;
  /** Mean training MSE over the epoch's steps, on standardized targets (1 ≈ predicting the mean). */
  loss: number;
  /** Validation MSE on standardized targets after the epoch. */
  valLoss: number;
  /** Rows trained this epoch (fewer than the split when maxSteps cut it short). */
  rows: number;
  /** Wall time of the epoch, validation included. */
  seconds: number;
  /** Training rows per second during this epoch (batching and gradient steps, not validation). */
  rowsPerSecond: number;
}

export interface TrainOptions {
  /** Model config; missing fields take DEFAULT_MODEL_CONFIG's values. */
  config?: Partial<ModelConfig>;
  /** Backend; default 'auto' (wasm, else node if installed, else cpu). */
  backend?: BackendChoice;
  /** Read train shards from disk one at a time each epoch instead of holding them. Default false. */
  streamed?: boolean;
  onProgress?: ProgressHook;
  /** Called after each epoch; return 'stop' to end training (results come from the best epoch so far). */
  onEpoch?: (e: EpochReport) => 'stop' | void;
  /** Aborting ends training after the current epoch, like onEpoch returning 'stop'. */
  signal?: AbortSignal;
  /** Cap on gradient steps per epoch (for the memory probe); default no cap. */
  maxSteps?: number;
  /**
   * Threads for each gradient step (this one included): batches of at least 128 rows per
   * thread are split over helper threads (wasm and cpu backends, no dropout). Default 1.
   */
  threads?: number;
}

export interface TrainResult {
  backend: string;
  config: ModelConfig;
  /** Training rows (of the whole train split, whether or not maxSteps cut epochs short). */
  rows: number;
  /** Wall time of the whole run, loading excluded. */
  seconds: number;
  /** Training rows per second over all epochs' gradient steps. */
  rowsPerSecond: number;
  epochs: EpochReport[];
  /** 1-based epoch with the lowest validation loss; its weights gave the metrics. */
  bestEpoch: number;
  stoppedEarly: boolean;
  stoppedReason?: string;
  metrics: { validation: MetricsWithBaselines; test: MetricsWithBaselines };
}
