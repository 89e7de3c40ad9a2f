export { parseBytes, podMemoryQuantity } from './bytes.ts';
export { availableMemory, type AvailableMemory, type AvailableMemoryOptions } from './available.ts';
export { EXIT_OUT_OF_MEMORY, outOfMemory, type OomKind, type EndFacts, type OutOfMemory } from '../spec/oom.ts';
export { fitMemory, predictMemory, maxRowsWithin, podPlan, type MemoryFit, type MemoryPoint, type PodPlan, type PodPlanOptions } from './fit.ts';
export { runProbe, type ProbeOptions, type ProbeReport, type ProbeRun, type ProbeOutcome, type ProbePlanRow } from './probe.ts';
export { probeOutcomeLabel, probeRunTable, probePlanTable, describeFit, formatProbeReport, probeProgressReporter } from './summary.ts';
export type { ProbeDataset } from './datasets.ts';
export type { ProbeSpecPayload, ProbeWorkerResult } from './probe-worker.ts';
export { demoBudget, type DemoBudget } from './demo-budget.ts';
