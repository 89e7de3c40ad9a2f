/**
 * The queue both local executors share: `workers` slots, each taking the next spec and running it
 * in its own child process. Results come back in the order of the specs.
 */
import { CaplabError } from '../errors.ts';
import { runSpecInChild, type ChildRunOptions } from './child.ts';
import type { Spec, SpecResult } from '../spec/types.ts';
import type { ExecHooks } from './types.ts';

export interface LocalRunOptions extends Omit<ChildRunOptions, 'worker'> {
  /** Child processes at once. */
  workers: number;
  /** Worker names are `${prefix}-${slot}`. */
  prefix: string;
}

export async function runSpecsLocally(specs: Spec[], hooks: ExecHooks, options: LocalRunOptions): Promise<SpecResult[]> {
  checkUniqueIds(specs);
  const { workers, prefix, ...child } = options;
  const results: SpecResult[] = new Array(specs.length);
  let next = 0;
  const slot = async (n: number) => {
    while (next < specs.length) {
      const i = next++;
      // After an abort the child runner returns 'stopped' without starting, so every spec still
      // gets its one result.
      results[i] = await runSpecInChild(specs[i], { ...child, worker: `${prefix}-${n}` }, hooks);
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
