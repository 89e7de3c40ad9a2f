export * from './npy.ts';
export * from './manifest.ts';
export { FEATURE_NAMES, TARGET_NAME, WARMUP, MIN_HISTORY } from './features.ts';
export { SPLIT_FRACTIONS } from './split.ts';
export { generateDataset, GENERATE_DEFAULTS, type GenerateOptions, type DatasetSummary } from './generate.ts';
