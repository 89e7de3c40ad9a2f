/**
 * The queue both local executors share: `workers` slots, each taking the next spec and running it
 * in a child process — the slot's serving worker while its last spec ended cleanly, else a new
 * one (or, with `reuseWorkers: false` or a memory budget, a new one per spec). Results come back
 * in the order of the specs.
 */
import { CaplabError } from '../errors.ts';
import { currentRuntime, runSpecOnWorker, workerProcessOptions, type ChildRunOptions } from './child.ts';
import type { Spec, SpecResult } from '../spec/types.ts';
import type { ExecHooks } from './types.ts';
import { WorkerProcess } from './worker-process.ts';

export interface LocalRunOptions extends Omit<ChildRunOptions, 'worker'> {
  /** Child processes at once. */
  workers: number;
  /** Worker names are `${prefix}-${slot}`. */
  prefix: string;
}

export async function runSpecsLocally(specs: Spec[], hooks: ExecHooks, options: LocalRunOptions): Promise<SpecResult[]> {
  checkUniqueIds(specs);
  const { workers, prefix, reuseWorkers = options.workerCommand === undefined, ...child } = options;
  // Under a memory budget each spec gets a process of its own, as each pod a container under its
  // limit: memory one spec kept must not count against the next, nor one spec's OOM end another.
  const serve = reuseWorkers && options.memory?.budgetBytes === undefined;
  const results: SpecResult[] = new Array(specs.length);
  const runtime = options.workerCommand ? undefined : await currentRuntime();
  let next = 0;
  const slot = async (n: number) => {
    const slotOptions = { ...child, worker: `${prefix}-${n}` };
    const processOptions = workerProcessOptions(slotOptions, runtime);
    let current: WorkerProcess | null = null;
    // The slot's worker for the next spec: the last one while it may run another, else a new one.
    const worker = async (spec: Spec): Promise<WorkerProcess> => {
      if (current?.reusable) return current;
      await current?.close();
      current = serve ? new WorkerProcess(processOptions) : new WorkerProcess(processOptions, spec);
      return current;
    };
    try {
      while (next < specs.length) {
        const i = next++;
        const spec = specs[i];
        // After an abort the spec comes back 'stopped' without starting, so every spec still
        // gets its one result.
        const w = hooks.signal?.aborted ? null : await worker(spec);
        results[i] = await runSpecOnWorker(() => w!, spec, slotOptions, hooks);
      }
    } finally {
      await (current as WorkerProcess | null)?.close();
    }
  };
  const slots = Math.max(1, Math.min(workers, specs.length));
  await Promise.all(Array.from({ length: slots }, (_, n) => slot(n)));
  return results;
}

export function checkUniqueIds(specs: Spec[]): void {
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.id)) {
      throw new CaplabError('duplicate-spec', `Two specs share the id "${s.id}".`, {
        hint: 'Spec ids key the results; give each spec its own id (trial ids come from the config hash, so drop duplicate configs).',
      });
    }
    seen.add(s.id);
  }
}
