/**
 * Runs a spec in a child process (`node bin/caplab.js worker …`), the way both local executors
 * do: memory and crashes stay in the child, and the parent reads the worker protocol from its
 * stdout. The child runs that one spec (`--spec-json`), or is a serving worker that a local
 * executor hands spec after spec (lib/exec/worker-process.ts). Never rejects: every way a child
 * can end becomes a SpecResult.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CaplabError, EXIT_BAD_CONFIG } from '../errors.ts';
import { localProvenance, type Provenance } from '../provenance.ts';
import { classifyExit } from '../spec/protocol.ts';
import type { Spec, SpecResult } from '../spec/types.ts';
import { withDefaults } from '../util/defaults.ts';
import { formatBytes } from '../util/format.ts';
import type { MemoryWatchOptions } from './memory-watch.ts';
import type { ExecHooks } from './types.ts';
import { WorkerProcess, type SpecEnd, type WorkerProcessOptions } from './worker-process.ts';

export interface ChildRunOptions {
  /** Recorded in provenance and passed to the worker as CAPLAB_EXECUTOR. */
  executor: 'sequential' | 'pool';
  /** Worker name recorded with the result, e.g. "pool-2". */
  worker: string;
  /** Extra node flags for the child, e.g. ['--max-old-space-size=512']. Default none. */
  nodeArgs?: string[];
  /** Extra environment for the child (added to this process's environment). */
  env?: Record<string, string>;
  /** After SIGTERM (stop or cancel), how long the child gets before SIGKILL. Default 5000 ms. */
  killGraceMs?: number;
  /**
   * Measure the child's memory (the result then carries `peakRssBytes`) and, with a budget, kill
   * it when it goes over, as a container's memory limit would (failure 'over-budget'). Default: not watched.
   */
  memory?: MemoryWatchOptions;
  /**
   * The node script and arguments the child runs, before `--spec-json JSON`. Default
   * `[<repo>/bin/caplab.js, 'worker']`. Tests put small scripts here that misbehave on purpose.
   */
  workerCommand?: string[];
  /**
   * Local executors: run the next spec in the same worker process when the last one ended cleanly
   * (ok, a bad config, an early stop), saving a process start and the workload's imports per spec.
   * A crash, an out-of-memory or a budget kill still ends its process, and results do not depend
   * on which process ran a spec. `false`: one process per spec (full isolation between specs).
   * Default true with the default worker command, false with a `workerCommand` (which then need
   * not understand `--serve`). A memory budget (`memory.budgetBytes`) always means one process per spec.
   */
  reuseWorkers?: boolean;
}

const defaults = { nodeArgs: [] as string[], env: {} as Record<string, string>, killGraceMs: 5000 };

let binPath: string | undefined;

/**
 * The `bin/caplab.js` that starts a worker (from the compiled copy of the sources when there is a
 * current one, else from the sources): found by walking up from this module, so it works from
 * lib/exec (sources), dist/lib/exec (the notebooks' build) and dist/runtime-<key>/lib/exec.
 */
export function caplabBin(): string {
  if (binPath) return binPath;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'bin', 'caplab.js');
    if (existsSync(candidate) && existsSync(join(dir, 'lib', 'cli.ts'))) return (binPath = candidate);
    dir = dirname(dir);
  }
  throw new CaplabError('install', 'Cannot find bin/caplab.js above ' + fileURLToPath(import.meta.url) + '.', {
    hint: 'Run caplab from its repository checkout (the worker runs the TypeScript sources).',
  });
}

type Outcome = Pick<SpecResult, 'status'> & Partial<SpecResult>;

/**
 * The compiled copy of lib/ that matches the sources now (bin/current.js), or undefined. Checked
 * once per run and handed to that run's workers (env CAPLAB_RUNTIME_DIR), so each worker start
 * skips the check — a stat of every source file, a good part of a start — and every worker of a
 * run runs the same code, even if a source changes while it runs.
 */
export async function currentRuntime(): Promise<string | undefined> {
  try {
    const current = (await import(pathToFileURL(join(dirname(caplabBin()), 'current.js')).href)) as { currentBuild(): Promise<string | null> };
    return (await current.currentBuild()) ?? undefined;
  } catch {
    return undefined;
  }
}

/** The settings of the worker processes `options` asks for; `runtime` from currentRuntime(). */
export function workerProcessOptions(options: ChildRunOptions, runtime?: string): WorkerProcessOptions {
  const o = withDefaults(defaults, options);
  const vouched = runtime && !o.workerCommand && process.env.CAPLAB_FROM_SOURCES !== '1' ? { CAPLAB_RUNTIME_DIR: runtime } : {};
  return {
    name: o.worker,
    argv: [...o.nodeArgs, ...(o.workerCommand ?? [caplabBin(), 'worker'])],
    env: { ...process.env, ...o.env, CAPLAB_EXECUTOR: o.executor, ...vouched },
    killGraceMs: o.killGraceMs,
    ...(o.memory ? { memory: o.memory } : {}),
  };
}

/** Runs one spec in a child process of its own. */
export function runSpecInChild(spec: Spec, options: ChildRunOptions, hooks: ExecHooks = {}): Promise<SpecResult> {
  return runSpecOnWorker(() => new WorkerProcess(workerProcessOptions(options), spec), spec, options, hooks);
}

/**
 * Runs `spec` on the worker process `worker()` gives (called only if the spec starts: after an
 * abort the spec comes back 'stopped' without one), and reports 'started' and 'finished'.
 */
export async function runSpecOnWorker(worker: () => WorkerProcess, spec: Spec, options: ChildRunOptions, hooks: ExecHooks = {}): Promise<SpecResult> {
  const started = new Date();
  const finish = (fields: Outcome, provenance?: Provenance): SpecResult => {
    const finished = new Date();
    const result: SpecResult = {
      id: spec.id,
      ...fields,
      worker: options.worker,
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      seconds: (finished.getTime() - started.getTime()) / 1000,
      provenance: { ...(provenance ?? localProvenance(options.executor)), executor: options.executor },
    };
    hooks.onEvent?.({ kind: 'finished', result });
    return result;
  };
  if (hooks.signal?.aborted) {
    return finish({ status: 'stopped', failure: 'cancelled', reason: 'not started: the run was cancelled' });
  }
  hooks.onEvent?.({ kind: 'started', id: spec.id, worker: options.worker, at: started.toISOString() });
  const end = await worker().run(spec, hooks);
  return finish(outcomeOf(end), end.line?.provenance);
}

/** The spec's outcome: a stop or a budget kill first, then the worker's own result line, then its exit. */
function outcomeOf(end: SpecEnd): Outcome {
  const { line } = end;
  const measured = {
    // A serving worker that ended this spec cleanly lives on: it has no exit to record.
    ...(end.exited ? { exit: { code: end.code, signal: end.signal } } : {}),
    ...(end.memory ? { peakRssBytes: end.memory.peakBytes } : {}),
    ...(end.memory?.enforcement ? { memoryEnforcement: end.memory.enforcement } : {}),
  };
  if (end.spawnError && !line) {
    return { status: 'failed', failure: 'crash', reason: `could not start the worker: ${end.spawnError.message}`, ...measured };
  }
  if (end.stopCause && line?.status !== 'ok') {
    const reason = end.stopCause === 'early-stop' ? 'stopped early by the scheduler' : 'cancelled: the run was interrupted';
    return { status: 'stopped', failure: end.stopCause, reason, result: line?.result, ...measured };
  }
  if (end.memory?.cgroupOomKilled && line?.status !== 'ok') {
    const reason = `killed by the kernel: out of memory in its cgroup, limit ${formatBytes(end.memory.budgetBytes ?? 0)} (peak resident ${formatBytes(end.memory.peakBytes)}), as a pod over its limit is OOMKilled`;
    return { status: 'failed', failure: 'oom', oom: 'killed', reason, result: line?.result, ...measured };
  }
  if (end.memory?.overBudget) {
    const reason = `killed by its runner: memory went over the budget (peak ${formatBytes(end.memory.peakBytes)} > ${formatBytes(end.memory.budgetBytes ?? 0)})`;
    return { status: 'failed', failure: 'over-budget', reason, result: line?.result, ...measured };
  }
  if (line) {
    const { status, reason, failure, oom, result } = line;
    return { status, reason, failure, ...(oom ? { oom } : {}), result, ...measured };
  }
  return { ...classifyExit({ code: end.code, signal: end.signal, stderr: end.stderr, badConfigCode: EXIT_BAD_CONFIG }), ...measured };
}
