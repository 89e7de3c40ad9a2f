export type { Trial, TrialEpoch, TrialRecord, SearchBest, SearchStatus } from './types.ts';
export {
  defaultSearchSpace,
  randomSearchSpace,
  SEARCH_SPACE_PRESETS,
  loadSearchSpace,
  checkSearchSpace,
  expandSearchSpace,
  searchSpaceSize,
  MAX_TRIALS,
  MAX_SPACE_FILE_BYTES,
  MAX_SPACE_NODES,
  trialId,
  type SearchSpace,
  type SearchSpaceOptions,
  type ParamDomain,
  type ValuesDomain,
  type RangeDomain,
} from './space.ts';
export {
  createEarlyStopper,
  earlyStopRungs,
  simulateEarlyStopping,
  type EarlyStopOptions,
  type EarlyStopper,
  type EarlyStopDecision,
} from './asha.ts';
export {
  EXPERIMENT_FILE,
  TRIALS_FILE,
  readExperiment,
  readTrialLines,
  latestTrialRecords,
  readSearchResults,
  openExperiment,
  lockExperiment,
  appendTrialRecord,
  datasetChecksum,
  experimentIdentity,
  type ExperimentMeta,
  type TrialLines,
  type OpenExperimentOptions,
} from './store.ts';
export { runSearch, bestTrial, formatSearchStatus, CHECKSUMS_SKIPPED, type SearchOptions, type SearchSummary } from './run.ts';
export type { TrialPayload, SyntheticDataRef } from './trial-worker.ts';
