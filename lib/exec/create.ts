/** One way to get any executor by name, so the CLI and notebooks switch executors with a string. */
import { CaplabError } from '../errors.ts';
import type { ChildRunOptions } from './child.ts';
import { createPoolExecutor } from './pool.ts';
import { createSequentialExecutor } from './sequential.ts';
import type { Executor } from './types.ts';

export type ExecutorName = 'sequential' | 'pool' | 'kubernetes';
export const EXECUTOR_NAMES: readonly ExecutorName[] = ['sequential', 'pool', 'kubernetes'];

/** What `caplab search` passes through to the Kubernetes executor (see lib/exec/kubernetes.ts for defaults). */
export interface KubernetesExecutorSettings {
  context?: string;
  namespace?: string;
  image?: string;
  parallelism?: number;
  cpu?: string;
  memory?: string;
  dryRun?: boolean;
  /** Experiment name: names the Job and ConfigMap, so a resubmit finds them. */
  experiment?: string;
  [key: string]: unknown;
}

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
      const { createKubernetesExecutor } = (await import(KUBERNETES_MODULE)) as {
        createKubernetesExecutor: (o: KubernetesExecutorSettings) => Executor | Promise<Executor>;
      };
      return await createKubernetesExecutor(kubernetes ?? {});
    }
    default:
      throw new CaplabError('usage', `Unknown executor "${String(name)}".`, { hint: `Use one of ${EXECUTOR_NAMES.join(', ')}.` });
  }
}

const KUBERNETES_MODULE = './kubernetes.ts';
