/**
 * caplab's public API. Notebooks, the CLI and scripts import only from here.
 */
export { CaplabError, EXIT_BAD_CONFIG, isCaplabError } from './errors.ts';
export { preset, PRESETS, type Preset, type PresetName } from './presets.ts';
export type { ProgressEvent, ProgressHook } from './progress.ts';
export { terminalBar } from './progress.ts';
export { formatBytes } from './util/format.ts';
export { writeFileAtomic } from './util/atomic.ts';
export { dataPath, resultsPath, repoRoot } from './paths.ts';
export { localProvenance, type Provenance } from './provenance.ts';
export * from './data/index.ts';
export * from './train/index.ts';
export * from './memory/index.ts';
export * from './search/index.ts';
export * from './exec/index.ts';
export * from './cluster/index.ts';
export * from './distributed/index.ts';
export * from './report/index.ts';
