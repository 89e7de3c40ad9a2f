/**
 * Runs one spec in a child process (`node bin/caplab.js worker --spec-json …`), the way both
 * local executors do: memory and crashes stay in the child, and the parent reads the worker
 * protocol from its stdout. Never rejects: every way a child can end becomes a SpecResult.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaplabError, EXIT_BAD_CONFIG } from '../errors.ts';
import { localProvenance, type Provenance } from '../provenance.ts';
import { classifyExit, lineSplitter, parseWorkerLine, type WorkerResultLine } from '../spec/protocol.ts';
import type { Spec, SpecResult } from '../spec/types.ts';
import { withDefaults } from '../util/defaults.ts';
import { formatBytes } from '../util/format.ts';
import { watchMemory, type MemoryWatch, type MemoryWatchOptions } from './memory-watch.ts';
import type { ExecHooks } from './types.ts';

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
}

const defaults = { nodeArgs: [] as string[], env: {} as Record<string, string>, killGraceMs: 5000 };

/** Bytes of the child's stderr kept for the failure reason. */
const STDERR_TAIL = 16 * 1024;

let binPath: string | undefined;

/**
 * The `bin/caplab.js` that runs the TypeScript sources: found by walking up from this module, so
 * it works from lib/exec (sources) and from dist/lib/exec (the notebooks' compiled copy).
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

/** What the parent saw of a child by the time it closed. */
interface ChildEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  line: WorkerResultLine | null;
  stderr: string;
  stopCause?: 'early-stop' | 'cancelled';
  spawnError?: Error;
  memory?: MemoryWatch;
}

export function runSpecInChild(spec: Spec, options: ChildRunOptions, hooks: ExecHooks = {}): Promise<SpecResult> {
  const o = withDefaults(defaults, options);
  const started = new Date();
  const finish = (fields: Outcome, provenance?: Provenance): SpecResult => {
    const finished = new Date();
    const result: SpecResult = {
      id: spec.id,
      ...fields,
      worker: o.worker,
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      seconds: (finished.getTime() - started.getTime()) / 1000,
      provenance: { ...(provenance ?? localProvenance(o.executor)), executor: o.executor },
    };
    hooks.onEvent?.({ kind: 'finished', result });
    return result;
  };
  if (hooks.signal?.aborted) {
    return Promise.resolve(finish({ status: 'stopped', failure: 'cancelled', reason: 'not started: the run was cancelled' }));
  }
  hooks.onEvent?.({ kind: 'started', id: spec.id, worker: o.worker, at: started.toISOString() });
  return superviseChild(spec, o, hooks).then((end) => finish(outcomeOf(end), end.line?.provenance));
}

/** Spawns the worker, relays its progress, stops it when asked, and resolves when it has closed. */
function superviseChild(spec: Spec, o: ChildRunOptions & typeof defaults, hooks: ExecHooks): Promise<ChildEnd> {
  return new Promise((resolve) => {
    const command = o.workerCommand ?? [caplabBin(), 'worker'];
    const child = spawn(process.execPath, [...o.nodeArgs, ...command, '--spec-json', JSON.stringify(spec)], {
      env: { ...process.env, ...o.env, CAPLAB_EXECUTOR: o.executor },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const memory = o.memory ? watchMemory(child, o.memory) : undefined;
    const end: Omit<ChildEnd, 'code' | 'signal'> = { line: null, stderr: '', memory };
    let killTimer: NodeJS.Timeout | undefined;
    let exited = false;

    const stop = (cause: 'early-stop' | 'cancelled') => {
      if (end.stopCause || exited) return;
      end.stopCause = cause;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), o.killGraceMs);
    };
    const onAbort = () => stop('cancelled');
    hooks.signal?.addEventListener('abort', onAbort, { once: true });

    const lines = lineSplitter((line) => {
      const parsed = parseWorkerLine(line);
      if (!parsed || parsed.id !== spec.id) return;
      if (parsed.caplab === 'result') {
        end.line = parsed;
        return;
      }
      hooks.onEvent?.({ kind: 'progress', id: spec.id, worker: o.worker, data: parsed.data });
      if (hooks.onSpecProgress?.(spec.id, parsed.data) === 'stop') stop('early-stop');
    });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => lines.push(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      end.stderr = (end.stderr + chunk).slice(-STDERR_TAIL);
    });
    child.on('error', (e) => {
      end.spawnError = e;
    });
    child.on('close', (code, signal) => {
      exited = true;
      lines.end();
      clearTimeout(killTimer);
      hooks.signal?.removeEventListener('abort', onAbort);
      void (memory ? memory.stop() : Promise.resolve()).then(() => resolve({ ...end, code, signal }));
    });
  });
}

/** The spec's outcome: a stop or a budget kill first, then the worker's own result line, then its exit. */
function outcomeOf(end: ChildEnd): Outcome {
  const { line } = end;
  const measured = {
    exit: { code: end.code, signal: end.signal },
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
