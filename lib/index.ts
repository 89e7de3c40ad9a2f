/**
 * caplab's public API: what the notebooks, the `caplab` CLI, scripts and benchmarks use, and the
 * types they need. Everything else is internal (tests import modules directly), so it can change
 * without breaking a notebook.
 */

// Errors, presets, progress, paths, provenance, units.
export { CaplabError, EXIT_BAD_CONFIG, isCaplabError, type ErrorCode } from './errors.ts';
export { preset, PRESETS, type Preset, type PresetName } from './presets.ts';
export { terminalBar, type ProgressEvent, type ProgressHook } from './progress.ts';
export { dataPath, resultsPath, repoRoot } from './paths.ts';
export { localProvenance, type Provenance } from './provenance.ts';
export { CAPLAB_VERSION } from './version.ts';
export { formatBytes } from './util/format.ts';
export { canonicalJson } from './util/canonical.ts';
export { parseBytes } from './util/quantity.ts';
export { writeFileAtomic } from './util/atomic.ts';

// The contracts: a unit of work is a spec; every executor returns one result per spec.
export type { Spec, SpecResult, SpecStatus, FailureCode, WorkerContext } from './spec/types.ts';
export type { OomKind } from './spec/oom.ts';

// Data.
export { generateDataset, type GenerateOptions, type DatasetSummary } from './data/generate.ts';
export { importCsv, type ImportOptions, type ImportSummary } from './data/import.ts';
export { datasetInfo, type DatasetInfo } from './data/info.ts';
export { readManifest, verifyDataset, type Manifest } from './data/manifest.ts';
export { syntheticPrices, readDatasetSample, sampleColumns, featureCorrelation, type SyntheticPrices, type DatasetSample } from './data/sample.ts';

// Training, and the lower-level pieces the training benchmark compares against raw tfjs.
export { trainModel } from './train/train.ts';
export { DEFAULT_MODEL_CONFIG, validateModelConfig, type ModelConfig } from './train/config.ts';
export type { BackendChoice, InMemoryDataset, EpochReport, MetricsWithBaselines, TrainOptions, TrainResult } from './train/types.ts';
export { loadDataset } from './train/dataset.ts';
export { initBackend } from './train/backend.ts';
export { fitStandardization } from './train/scaling.ts';
export { allocateBatch, fillBatch, scalerFrom } from './train/batches.ts';
export { mlpLayout, initialParams } from './train/mlp.ts';

// The memory probe.
export { runProbe, type ProbeOptions, type ProbeReport, type ProbeRun, type ProbeOutcome } from './memory/probe.ts';
export { fitMemory, predictMemory, type MemoryFit } from './memory/fit.ts';
export { describeFit, formatProbeReport, probeProgressReporter, probePlanTable, probeRunTable } from './memory/summary.ts';
export { demoBudget, type DemoBudget } from './memory/demo-budget.ts';
export { machineScales, checkDiskForScales, probeScalePlan, type MachineScales, type ProbeScalePlan } from './memory/machine-scales.ts';

// Hyperparameter search.
export { runSearch, bestTrial, formatSearchStatus, CHECKSUMS_SKIPPED, type SearchOptions, type SearchSummary } from './search/run.ts';
export { defaultSearchSpace, randomSearchSpace, expandSearchSpace, loadSearchSpace, MAX_TRIALS, type SearchSpace } from './search/space.ts';
export { readSearchResults } from './search/store.ts';
export type { TrialRecord, SearchStatus } from './search/types.ts';

// Executors.
export type { Executor, ExecHooks, ExecEvent } from './exec/types.ts';
export { createExecutor, EXECUTOR_NAMES, type ExecutorName, type ExecutorOptions, type KubernetesExecutorSettings } from './exec/create.ts';
export { createSequentialExecutor } from './exec/sequential.ts';
export { createPoolExecutor } from './exec/pool.ts';
export { createKubernetesExecutor, type KubernetesExecutorOptions } from './exec/kubernetes.ts';

// Kubernetes: checking a cluster, and the manifests caplab applies.
export { clusterCheck, formatClusterCheck, type ClusterCheckReport } from './cluster/check.ts';
export { clusterSetupObjects, renderTemplates, EXAMPLE_SPECS } from './cluster/templates.ts';
export { kubernetesManifests, kubernetesManifestsYaml } from './cluster/manifests.ts';
export { buildDataJob } from './cluster/data-job.ts';
export { DEFAULT_NAMESPACE } from './cluster/objects/namespace.ts';
export { CAPLAB_PERMISSIONS } from './cluster/objects/rbac.ts';
export { podsThatFit, type PodSize } from './cluster/capacity.ts';
export { toYaml } from './cluster/yaml.ts';
export type { KubeObject } from './cluster/types.ts';

// Data-parallel training.
export { runDataParallelLocal, type LocalDataParallelOptions, type LocalDataParallelResult } from './distributed/local.ts';
export type { RankReport } from './distributed/data-parallel.ts';
export { trainOnCluster, clusterTrainManifests, clusterTrainManifestsYaml, type ClusterTrainOptions, type ClusterTrainResult, type ClusterRankReport } from './distributed/cluster-train.ts';
export type { RankProgress } from './distributed/rank-worker.ts';

// Figures, tables and live displays for notebooks.
export { figure, type Figure } from './report/figure.ts';
export { showFigure, liveFigure, liveStatus, showTable, showMarkdown } from './report/display.ts';
export { dataFrame, showFrame, type Frame } from './report/frame.ts';
export { pricePathsFigure, returnHistogramFigure, correlationHeatmapFigure, scaleBytesFigure } from './report/data-figures.ts';
export { memoryProbeFigure } from './report/memory-figures.ts';
export { lossCurveFigure, baselineComparisonFigure, throughputFigure, liveLossPlot } from './report/train-figures.ts';
export { trialLabel, searchTimelineFigure, searchLossFigure, searchParallelFigure, searchCurvesFigure, searchSpeedups, searchSpeedupFigure, searchTable } from './report/search-figures.ts';
export { nodeCapacityRows, nodeCapacityFigure, trialStateSampler, trialStatesFigure, recordsWallSeconds, placedSpeedupFigure, clusterSummaryMarkdown } from './report/cluster-figures.ts';

// Comparing stored runs, and the example files a user starts from.
export { examplePath, EXAMPLE_FILES } from './examples.ts';
export { loadTrainingPlan, checkTrainingPlan, type TrainingPlan } from './cluster/plan-file.ts';
export { compareStored, type Comparison } from './report/compare.ts';
export { comparisonTables, comparisonMarkdown, comparisonText } from './report/compare-format.ts';
export { parallelComparisonFigure, scaleComparisonFigure, computeUsedFigure } from './report/compare-figures.ts';
export { readStoredResult, storedResultPaths } from './report/compare-read.ts';
export { placeKindLabel, placeOf } from './report/compare-place.ts';
export { EXAMPLE_PRICES } from './report/compare-cost.ts';
export { trainResultRecord, saveTrainResult, clusterTrainRecord, readTrainResult, type StoredTrainResult } from './report/stored-train.ts';
export { rankMemoryFigure, lossCurvesFigure, trainWaysTable } from './report/scale-figures.ts';
