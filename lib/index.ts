/**
 * caplab's public API: what the notebooks, the `caplab` CLI, scripts and benchmarks use, and the
 * types they need. Everything else is internal (tests import modules directly), so it can change
 * without breaking a notebook.
 */

// Errors, presets, progress, paths, provenance, units.
export { CaplabError, EXIT_BAD_CONFIG, isCaplabError, type ErrorCode } from './errors.ts';
export { preset, type Preset } from './presets.ts';
export { terminalBar, type ProgressEvent, type ProgressHook } from './progress.ts';
export { dataPath, resultsPath, repoRoot } from './paths.ts';
export { localProvenance, type Provenance } from './provenance.ts';
export { CAPLAB_VERSION } from './version.ts';
export { formatBytes } from './util/format.ts';
export { canonicalJson } from './util/canonical.ts';
export { parseBytes } from './util/quantity.ts';
export { writeFileAtomic } from './util/atomic.ts';

// The contracts: a unit of work is a spec; every executor returns one result per spec.
export type { Spec, SpecResult, FailureCode, WorkerContext } from './spec/types.ts';

// Data.
export { generateDataset, type GenerateOptions, type DatasetSummary } from './data/generate.ts';
export { importCsv, type ImportOptions } from './data/import.ts';
export { datasetInfo } from './data/info.ts';
export { readManifest, verifyDataset, type Manifest } from './data/manifest.ts';
export { syntheticPrices, readDatasetSample, sampleColumns, featureCorrelation } from './data/sample.ts';

// Training, and the lower-level pieces the training benchmark compares against raw tfjs.
export { trainModel } from './train/train.ts';
export { validateModelConfig, type ModelConfig } from './train/config.ts';
export type { BackendChoice, MetricsWithBaselines, TrainOptions, TrainResult } from './train/types.ts';
export { loadDataset } from './train/dataset.ts';
export { initBackend } from './train/backend.ts';
export { fitStandardization } from './train/scaling.ts';
export { allocateBatch, fillBatch, scalerFrom } from './train/batches.ts';
export { mlpLayout, initialParams } from './train/mlp.ts';

// The memory probe.
export { runProbe, type ProbeOptions, type ProbeReport } from './memory/probe.ts';
export { fitMemory, predictMemory } from './memory/fit.ts';
export { describeFit, enforcementText, failedProbeRun, formatProbeReport, probeProgressReporter, probePlanTable, probeRunTable } from './memory/summary.ts';
export { probeScalePlan, type ProbeScalePlan } from './memory/machine-scales.ts';

// Hyperparameter search.
export { runSearch, formatSearchStatus, CHECKSUMS_SKIPPED, type SearchOptions, type SearchSummary } from './search/run.ts';
export { defaultSearchSpace, expandSearchSpace, loadSearchSpace, MAX_TRIALS, type SearchSpace } from './search/space.ts';
export { readSearchResults } from './search/store.ts';
export type { TrialRecord } from './search/types.ts';

// Executors.
export type { Executor, ExecHooks } from './exec/types.ts';
export { EXECUTOR_NAMES, type ExecutorName, type ExecutorOptions, type KubernetesExecutorSettings } from './exec/create.ts';
export { createSequentialExecutor } from './exec/sequential.ts';
export { createPoolExecutor } from './exec/pool.ts';
export { createKubernetesExecutor } from './exec/kubernetes.ts';

// Kubernetes: checking a cluster, and the manifests caplab applies.
export { clusterCheck, formatClusterCheck } from './cluster/check.ts';
export { clusterSetupObjects, renderTemplates, EXAMPLE_SPECS } from './cluster/templates.ts';
export { kubernetesManifests } from './cluster/manifests.ts';
export { buildDataJob } from './cluster/data-job.ts';
export { DEFAULT_NAMESPACE } from './cluster/objects/namespace.ts';
export { CAPLAB_PERMISSIONS } from './cluster/objects/rbac.ts';
export { podsThatFit } from './cluster/capacity.ts';
export { toYaml } from './cluster/yaml.ts';

// Data-parallel training.
export { runDataParallelLocal, type LocalDataParallelResult } from './distributed/local.ts';
export { trainOnCluster, clusterTrainManifestsYaml, type ClusterTrainOptions, type ClusterTrainResult, type ClusterRankReport } from './distributed/cluster-train.ts';
export type { RankProgress } from './distributed/rank-worker.ts';

// Figures, tables and live displays for notebooks.
export { figure, type Figure } from './report/figure.ts';
export { showFigure, liveFigure, liveStatus, showTable, showMarkdown } from './report/display.ts';
export { dataFrame, showFrame, type Frame } from './report/frame.ts';
export { pricePathsFigure, returnHistogramFigure, correlationHeatmapFigure, scaleBytesFigure } from './report/data-figures.ts';
export { memoryProbeFigure } from './report/memory-figures.ts';
export { baselineComparisonFigure, liveLossPlot } from './report/train-figures.ts';
export { trialLabel, searchTimelineFigure, searchLossFigure, searchParallelFigure, searchCurvesFigure, searchSpeedups, searchSpeedupFigure, searchTable } from './report/search-figures.ts';
export { nodeCapacityRows, nodeCapacityFigure, trialStateSampler, trialStatesFigure, recordsWallSeconds, placedSpeedupFigure, clusterSummaryMarkdown } from './report/cluster-figures.ts';

// Comparing stored runs, and the example files a user starts from.
export { examplePath, EXAMPLE_FILES } from './examples.ts';
export { loadTrainingPlan, type TrainingPlan } from './cluster/plan-file.ts';
export { compareStored, type Comparison } from './report/compare.ts';
export { comparisonTables, comparisonMarkdown, comparisonText } from './report/compare-format.ts';
export { parallelComparisonFigure, scaleComparisonFigure, computeUsedFigure } from './report/compare-figures.ts';
export { readStoredResult, storedResultPaths } from './report/compare-read.ts';
export { placeKindLabel, placeOf, contextPlaceLabel } from './report/compare-place.ts';
export { EXAMPLE_PRICES } from './report/compare-cost.ts';
export { trainResultRecord, saveTrainResult, clusterTrainRecord, readTrainResult, type StoredTrainResult } from './report/stored-train.ts';
export { rankMemoryFigure, lossCurvesFigure, trainWaysTable } from './report/scale-figures.ts';
