/**
 * The worker's stdout protocol, shared by every executor: a running spec prints tagged JSON lines,
 * `{"caplab":"progress",...}` while it works and one `{"caplab":"result",...}` as the last line.
 * Local executors read it from a child's stdout, the Kubernetes executor from a pod's log; other
 * lines (library chatter) are ignored.
 */
import type { Provenance } from '../provenance.ts';
import { outOfMemory, type OomKind } from './oom.ts';
import type { FailureCode, Spec, SpecStatus } from './types.ts';

export const PROTOCOL_TAG = 'caplab';

export interface WorkerProgressLine {
  caplab: 'progress';
  id: string;
  data: unknown;
}

export interface WorkerResultLine {
  caplab: 'result';
  id: string;
  status: SpecStatus;
  reason?: string;
  failure?: FailureCode;
  /** For failure 'oom': which way (see lib/spec/oom.ts). */
  oom?: OomKind;
  result?: unknown;
  provenance?: Provenance;
  startedAt?: string;
  finishedAt?: string;
  seconds?: number;
}

export type WorkerLine = WorkerProgressLine | WorkerResultLine;

/**
 * What a runner writes to the stdin of a worker started with `--serve` (one process, many specs
 * one after another): `{"caplab":"run","spec":…}` starts a spec once the previous one has printed
 * its result line; `{"caplab":"stop","id":…}` ends the running spec as a stop does (it still
 * prints its result line, and the worker waits for the next spec). Closing stdin ends the worker.
 */
export type WorkerCommand = { caplab: 'run'; spec: Spec } | { caplab: 'stop'; id: string };

export function formatWorkerCommand(command: WorkerCommand): string {
  return JSON.stringify(command);
}

/** Parses one stdin line of a serving worker; null for anything else. */
export function parseWorkerCommand(line: string): WorkerCommand | null {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object') return null;
  if (v.caplab === 'run' && v.spec && typeof v.spec === 'object') return { caplab: 'run', spec: v.spec as Spec };
  if (v.caplab === 'stop' && typeof v.id === 'string') return { caplab: 'stop', id: v.id };
  return null;
}

export function formatProgressLine(id: string, data: unknown): string {
  return JSON.stringify({ caplab: 'progress', id, data } satisfies WorkerProgressLine);
}

export function formatResultLine(result: Omit<WorkerResultLine, 'caplab'>): string {
  return JSON.stringify({ caplab: 'result', ...result });
}

/** Parses one line of worker output; null for anything that is not a well-formed tagged line. */
export function parseWorkerLine(line: string): WorkerLine | null {
  const text = line.trim();
  if (!text.startsWith('{') || !text.includes('"caplab"')) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!value || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  if (typeof v.id !== 'string') return null;
  if (v.caplab === 'progress') return v as unknown as WorkerProgressLine;
  if (v.caplab === 'result' && (v.status === 'ok' || v.status === 'failed' || v.status === 'stopped')) {
    return v as unknown as WorkerResultLine;
  }
  return null;
}

/**
 * The result line in a whole log (e.g. a pod's log). The protocol puts it last, but a log can
 * carry trailing noise (a runtime warning printed at exit), so this takes the last valid one.
 */
export function findResultLine(log: string, id?: string): WorkerResultLine | null {
  const lines = log.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const parsed = parseWorkerLine(lines[i]);
    if (parsed && parsed.caplab === 'result' && (id === undefined || parsed.id === id)) return parsed;
  }
  return null;
}

/** Splits a byte stream into lines as it arrives (chunks may end mid-line). */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: string): void; end(): void } {
  let pending = '';
  return {
    push(chunk) {
      pending += chunk;
      let nl = pending.indexOf('\n');
      while (nl >= 0) {
        onLine(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
        nl = pending.indexOf('\n');
      }
    },
    end() {
      if (pending) onLine(pending);
      pending = '';
    },
  };
}

export interface ExitFacts {
  /** Exit code, null when a signal ended the process. */
  code: number | null;
  signal: string | null;
  /** The tail of the worker's stderr, for the reason. */
  stderr?: string;
  /** Exit code the worker uses for a config that can never succeed. */
  badConfigCode?: number;
}

/** How a worker that printed no result line ended, for machines and people. */
export interface ExitClass {
  status: SpecStatus;
  failure?: FailureCode;
  oom?: OomKind;
  reason?: string;
}

/**
 * Why a worker that printed no result line ended, from its exit code, signal and stderr. A worker
 * that printed a result line is classified by that line instead.
 */
export function classifyExit(facts: ExitFacts): ExitClass {
  const stderr = facts.stderr ?? '';
  const lastLine = lastMeaningfulLine(stderr);
  const oom = outOfMemory({ code: facts.code, signal: facts.signal, output: stderr });
  if (oom) return { status: 'failed', failure: 'oom', oom: oom.kind, reason: oom.reason };
  if (facts.signal === 'SIGABRT' || facts.code === 134) {
    return { status: 'failed', failure: 'crash', reason: `worker aborted (SIGABRT)${lastLine ? `: ${lastLine}` : ''}` };
  }
  if (facts.code !== null && facts.badConfigCode !== undefined && facts.code === facts.badConfigCode) {
    return { status: 'failed', failure: 'bad-config', reason: `bad config${lastLine ? `: ${lastLine}` : ''}` };
  }
  if (facts.signal) {
    return { status: 'failed', failure: 'crash', reason: `worker killed by ${facts.signal}${lastLine ? `: ${lastLine}` : ''}` };
  }
  if (facts.code === 0) {
    return { status: 'failed', failure: 'crash', reason: 'worker exited without printing a result line' };
  }
  return { status: 'failed', failure: 'crash', reason: `worker exited with code ${facts.code}${lastLine ? `: ${lastLine}` : ''}` };
}

function lastMeaningfulLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !/^at |^\^+$|^node:internal|Node\.js v\d/.test(l));
  const line = lines[lines.length - 1] ?? '';
  return line.length > 300 ? line.slice(0, 300) + '…' : line;
}

/**
 * The file name a worker writes its result to under `--result-dir` (e.g. a shared volume):
 * `<id>.json`, with characters outside [A-Za-z0-9._-] replaced so an id cannot escape the folder.
 */
export function resultFileName(id: string): string {
  return `${id.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200) || 'spec'}.json`;
}
