/** One way to get any executor by name, so the CLI and notebooks switch executors with a string. */
import { CaplabError } from '../errors.ts';
import type { ChildRunOptions } from './child.ts';
import { createPoolExecutor } from './pool.ts';
import { createSequentialExecutor } from './sequential.ts';
import type { KubernetesExecutorOptions } from './kubernetes.ts';
import type { Executor } from './types.ts';

export type ExecutorName = 'sequential' | 'pool' | 'kubernetes';
export const EXECUTOR_NAMES: readonly ExecutorName[] = ['sequential', 'pool', 'kubernetes'];

/** Settings of the Kubernetes executor (context, namespace, image, parallelism, cpu, memory, dryRun, …; defaults in lib/exec/kubernetes.ts). */
export type KubernetesExecutorSettings = KubernetesExecutorOptions;

export interface ExecutorOptions extends Omit<ChildRunOptions, 'executor' | 'worker'> {
  /** Pool only: child processes at once. Default: the cores this process may use. */
  workers?: number;
  /** Kubernetes only. */
  kubernetes?: KubernetesExecutorSettings;
}

export async function createExecutor(name: ExecutorName, options: ExecutorOptions = {}): Promise<Executor> {
  const { workers, kubernetes, ...child } = options;
  switch (name) {
    case 'sequential':
      return createSequentialExecutor(child);
    case 'pool':
      return createPoolExecutor({ ...child, workers });
    case 'kubernetes': {
      // Loaded on demand: it pulls in @kubernetes/client-node, which local runs never need.
      const { createKubernetesExecutor } = await import('./kubernetes.ts');
      return createKubernetesExecutor(kubernetes ?? {});
    }
    default:
      throw new CaplabError('usage', `Unknown executor "${String(name)}".`, { hint: `Use one of ${EXECUTOR_NAMES.join(', ')}.` });
  }
}
