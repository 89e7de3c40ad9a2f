export { joinGroup, type Group, type GroupOptions } from './group.ts';
export { trainDataParallel, type DataParallelOptions, type DataParallelResult, type RankReport } from './data-parallel.ts';
export { rankRanges, type RowRange } from './rank-data.ts';
export type { RankPayload, RankProgress } from './rank-worker.ts';
export { runDataParallelLocal, type LocalDataParallelOptions, type LocalDataParallelResult } from './local.ts';
