// formatBytes stays internal: lib/cluster exports one with the same name and output.
export { parseBytes, podMemoryQuantity } from './bytes.ts';
export { availableMemory, type AvailableMemory, type AvailableMemoryOptions } from './available.ts';
export { readProcMemory, parseProcStatus, type ProcMemory } from './proc.ts';
export { EXIT_OUT_OF_MEMORY, OOM_MARKER, WASM_MEMORY_LIMIT_BYTES, classifyExit as classifyProbeExit, outOfMemoryKind, exitIfOutOfMemory, type OomKind } from './oom.ts';
export { runProbeChild, type ChildRun, type ChildRunOptions } from './child.ts';
export { fitMemory, predictMemory, maxRowsWithin, podPlan, type MemoryFit, type MemoryPoint, type PodPlan, type PodPlanOptions } from './fit.ts';
export { runProbe, type ProbeOptions, type ProbeReport, type ProbeRun, type ProbeOutcome, type ProbePlanRow } from './probe.ts';
export { probeOutcomeLabel, probeRunTable, probePlanTable, describeFit, formatProbeReport, probeProgressReporter } from './summary.ts';
export type { ProbeDataset } from './datasets.ts';
export type { ProbeSpecPayload, ProbeWorkerResult } from './probe-worker.ts';
export { demoBudget, type DemoBudget } from './demo-budget.ts';
