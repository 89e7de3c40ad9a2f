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
