/** The local baseline: one spec at a time, each in its own child process. */
import type { ChildRunOptions } from './child.ts';
import { runSpecsLocally } from './local.ts';
import type { Executor } from './types.ts';

export type SequentialExecutorOptions = Omit<ChildRunOptions, 'executor' | 'worker'>;

export function createSequentialExecutor(options: SequentialExecutorOptions = {}): Executor {
  return {
    name: 'sequential',
    run: (specs, hooks = {}) => runSpecsLocally(specs, hooks, { ...options, executor: 'sequential', workers: 1, prefix: 'seq' }),
  };
}
