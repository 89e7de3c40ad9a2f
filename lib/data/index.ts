export * from './npy.ts';
export * from './manifest.ts';
export { FEATURE_NAMES, TARGET_NAME, WARMUP as FEATURE_WARMUP_DAYS, MIN_HISTORY as MIN_HISTORY_DAYS } from './features.ts';
export { SPLIT_FRACTIONS } from './split.ts';
export { SECTORS as SYNTHETIC_SECTORS } from './market.ts';
export { generateDataset, GENERATE_DEFAULTS, type GenerateOptions, type DatasetSummary } from './generate.ts';
export { importCsv, IMPORT_DEFAULTS, type ImportOptions, type ImportSummary } from './import.ts';
export { datasetInfo, type DatasetInfo, type DatasetInfoOptions } from './info.ts';
export {
  syntheticPrices,
  syntheticCsv,
  syntheticTickerName,
  syntheticRowDate,
  readDatasetSample,
  sampleColumns,
  featureCorrelation,
  type SyntheticPrices,
  type SyntheticPricesOptions,
  type SampleOptions,
  type DatasetSample,
} from './sample.ts';
