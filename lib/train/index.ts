export { DEFAULT_MODEL_CONFIG, validateModelConfig, type ModelConfig, type Activation, type OptimizerName } from './config.ts';
export type {
  BackendChoice,
  SplitArrays,
  InMemoryDataset,
  RegressionMetrics,
  MetricsWithBaselines,
  EpochReport,
  TrainOptions,
  TrainResult,
} from './types.ts';
export { initBackend } from './backend.ts';
export { loadDataset, type LoadDatasetOptions } from './dataset.ts';
export { trainModel } from './train.ts';
export { regressionMetrics, metricsWithBaselines } from './metrics.ts';
// Lower-level pieces for data-parallel training (gradients as flat Float32Arrays) and benchmarks.
export { Mlp, mlpLayout, initialParams, type Batch as TrainBatch } from './mlp.ts';
export { allocateBatch, fillBatch, fillRows, scalerFrom, type Scaler } from './batches.ts';
export { fitStandardization, type Standardization } from './scaling.ts';
