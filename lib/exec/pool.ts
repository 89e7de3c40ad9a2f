/** The best this machine can do: N child processes at once, one spec each. */
import { availableParallelism } from 'node:os';
import { CaplabError } from '../errors.ts';
import type { ChildRunOptions } from './child.ts';
import { runSpecsLocally } from './local.ts';
import type { Executor } from './types.ts';

export interface PoolExecutorOptions extends Omit<ChildRunOptions, 'executor' | 'worker'> {
  /** Child processes at once. Default: the cores this process may use (os.availableParallelism()). */
  workers?: number;
}

export function createPoolExecutor(options: PoolExecutorOptions = {}): Executor {
  const { workers = availableParallelism(), ...child } = options;
  if (!Number.isInteger(workers) || workers < 1) {
    throw new CaplabError('usage', `Pool workers must be a positive integer, got ${workers}.`, { hint: 'Pass --workers 1 or more.' });
  }
  return {
    name: 'pool',
    run: (specs, hooks = {}) => runSpecsLocally(specs, hooks, { ...child, executor: 'pool', workers, prefix: 'pool' }),
  };
}
