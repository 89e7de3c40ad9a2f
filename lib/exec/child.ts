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
import type { Spec, SpecResult } from '../spec/types.ts';
import { classifyExit, lineSplitter, parseWorkerLine, type WorkerResultLine } from '../spec/protocol.ts';
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

export function runSpecInChild(spec: Spec, options: ChildRunOptions, hooks: ExecHooks = {}): Promise<SpecResult> {
  const o = { ...defaults, ...options };
  const started = new Date();
  const finish = (fields: Pick<SpecResult, 'status'> & Partial<SpecResult>, provenance?: Provenance): SpecResult => {
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

  return new Promise<SpecResult>((resolve) => {
    hooks.onEvent?.({ kind: 'started', id: spec.id, worker: o.worker, at: started.toISOString() });
    const child = spawn(process.execPath, [...o.nodeArgs, caplabBin(), 'worker', '--spec-json', JSON.stringify(spec)], {
      env: { ...process.env, ...o.env, CAPLAB_EXECUTOR: o.executor },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let resultLine: WorkerResultLine | null = null;
    let stderr = '';
    let stopCause: 'early-stop' | 'cancelled' | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let exited = false;
    let spawnError: Error | undefined;

    const stop = (cause: 'early-stop' | 'cancelled') => {
      if (stopCause || exited) return;
      stopCause = cause;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), o.killGraceMs);
    };
    const onAbort = () => stop('cancelled');
    hooks.signal?.addEventListener('abort', onAbort, { once: true });

    const lines = lineSplitter((line) => {
      const parsed = parseWorkerLine(line);
      if (!parsed || parsed.id !== spec.id) return;
      if (parsed.caplab === 'result') {
        resultLine = parsed;
        return;
      }
      hooks.onEvent?.({ kind: 'progress', id: spec.id, worker: o.worker, data: parsed.data });
      if (hooks.onSpecProgress?.(spec.id, parsed.data) === 'stop') stop('early-stop');
    });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => lines.push(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL);
    });
    child.on('error', (e) => {
      spawnError = e;
    });
    child.on('close', (code, signal) => {
      exited = true;
      lines.end();
      clearTimeout(killTimer);
      hooks.signal?.removeEventListener('abort', onAbort);
      const line = resultLine as WorkerResultLine | null;
      if (spawnError && !line) {
        resolve(finish({ status: 'failed', failure: 'crash', reason: `could not start the worker: ${spawnError.message}` }));
      } else if (stopCause && line?.status !== 'ok') {
        const reason = stopCause === 'early-stop' ? 'stopped early by the scheduler' : 'cancelled: the run was interrupted';
        resolve(finish({ status: 'stopped', failure: stopCause, reason, result: line?.result }, line?.provenance));
      } else if (line) {
        const { status, reason, failure, result } = line;
        resolve(finish({ status, reason, failure, result }, line.provenance));
      } else {
        resolve(finish(classifyExit({ code, signal, stderr, badConfigCode: EXIT_BAD_CONFIG })));
      }
    });
  });
}
