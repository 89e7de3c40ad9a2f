export type * from './types.ts';
export type { WorkerContext, SpecRunner } from '../spec/types.ts';
export {
  parseWorkerLine,
  findResultLine,
  formatProgressLine,
  formatResultLine,
  resultFileName,
  classifyExit as classifyWorkerExit,
  type WorkerLine,
  type WorkerProgressLine,
  type WorkerResultLine,
} from '../spec/protocol.ts';
export { runSpecInChild, type ChildRunOptions as SpecChildOptions } from './child.ts';
export { createSequentialExecutor, type SequentialExecutorOptions } from './sequential.ts';
export { createPoolExecutor, type PoolExecutorOptions } from './pool.ts';
export { createExecutor, EXECUTOR_NAMES, type ExecutorName, type ExecutorOptions, type KubernetesExecutorSettings } from './create.ts';
export { createKubernetesExecutor, kubernetesExecutorDefaults, type KubernetesExecutorOptions } from './kubernetes.ts';
