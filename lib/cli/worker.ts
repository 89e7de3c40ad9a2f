/**
 * `caplab worker`: runs ONE spec and prints its result as the last stdout line (or, with
 * `--serve`, the specs a local executor writes to its stdin, one after another). Every executor
 * runs this same entry point — a local child process, or a pod of an Indexed Job — so a local and
 * a cloud run differ only in where it ran.
 *
 * This is the program's entry for specs, so the registry of spec kinds lives here and nowhere
 * below: executors run any kind without knowing one. It loads only the module a spec's kind
 * names, not the public API (that would load the Kubernetes client and every workload into each
 * worker, and into the memory the probe measures).
 */
import { readFile } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaplabError, EXIT_BAD_CONFIG, isCaplabError } from '../errors.ts';
import { localProvenance, type Provenance } from '../provenance.ts';
import { EXIT_OUT_OF_MEMORY, outOfMemory } from '../spec/oom.ts';
import { formatProgressLine, formatResultLine, lineSplitter, parseWorkerCommand, resultFileName, type WorkerResultLine } from '../spec/protocol.ts';
import type { Spec, SpecRunner, WorkerContext } from '../spec/types.ts';
import { parseCommand, numberOption } from './output.ts';

/** Spec kind → the module that runs it (each exports `runSpec`); loaded on demand. */
const SPEC_KINDS: Record<string, () => Promise<{ runSpec: SpecRunner<never> }>> = {
  trial: () => import('../search/trial-worker.ts'),
  probe: () => import('../memory/probe-worker.ts'),
  rank: () => import('../distributed/rank-worker.ts'),
  noop: () => import('../exec/noop-worker.ts'),
};

const HELP = `usage: caplab worker (--spec-json JSON | --spec-file F | --specs-file F [--index N]) [--result-dir DIR]
       caplab worker --serve

Runs one spec and prints {"caplab":"result",...} as the last line of stdout. Executors run this;
people rarely do.

  --spec-json JSON   the spec itself
  --spec-file F      a file holding one spec
  --specs-file F     a file holding a JSON array of specs; runs the one at --index
  --index N          which spec of the array (default: env JOB_COMPLETION_INDEX, as in an Indexed Job)
  --result-dir DIR   also write the result to DIR/<id>.json (atomically), e.g. on a shared volume
  --serve            run the specs written to stdin one after another, as
                     {"caplab":"run","spec":SPEC} lines ({"caplab":"stop","id":ID} stops the
                     running one); each ends with its result line; ends when stdin closes

Without a spec option, reads a JSON array of specs from env CAPLAB_SPECS (same --index rule).
Env: CAPLAB_SCRATCH scratch folder (default the OS temp folder), CAPLAB_EXECUTOR recorded in provenance.
Exit codes: 0 ok or stopped, ${EXIT_BAD_CONFIG} bad config (never worth a retry), ${EXIT_OUT_OF_MEMORY} out of memory
(a caught allocation failure), 1 other failure.`;

export async function run(args: string[]): Promise<number> {
  const parsed = parseCommand(
    args,
    {
      'spec-json': { type: 'string' },
      'spec-file': { type: 'string' },
      'specs-file': { type: 'string' },
      index: { type: 'string' },
      'result-dir': { type: 'string' },
      serve: { type: 'boolean' },
    },
    HELP,
  );
  if (!parsed) return 0;
  const v = parsed.values;
  if (v.serve) return serve();
  const spec = await loadSpec({
    specJson: v['spec-json'] as string | undefined,
    specFile: v['spec-file'] as string | undefined,
    specsFile: v['specs-file'] as string | undefined,
    index: v.index as string | undefined,
  });
  const line = await runWorkerSpec(spec);
  const resultDir = v['result-dir'] as string | undefined;
  if (resultDir) {
    // Loaded only here: most workers have no result folder, and every worker start counts.
    const { writeFileAtomic } = await import('../util/atomic.ts');
    await writeFileAtomic(join(resultDir, resultFileName(spec.id)), JSON.stringify(line) + '\n');
  }
  // The result line is the protocol's last word: nothing of ours prints after it.
  process.stdout.write(formatResultLine(stripTag(line)) + '\n');
  return exitCodeOf(line);
}

/** 0 for ok or stopped; a bad config and an out-of-memory get their own codes, so a runner can tell them from a crash. */
/** The signal that stopped a spec from outside (runWorkerSpec's "stopped by SIGTERM"), if one did. */
function stopSignal(line: WorkerResultLine): string | undefined {
  return line.status === 'stopped' ? /^stopped by (SIG[A-Z]+)/.exec(line.reason ?? '')?.[1] : undefined;
}

function exitCodeOf(line: WorkerResultLine): number {
  // Stopped by a signal from outside (a pod deleted, preempted or drained; Ctrl-C): exit as a
  // process that signal killed would, so a Job counts the pod failed and replaces it rather than
  // counting its index complete. A stop its runner asked for (--serve) is a clean end.
  const signal = stopSignal(line);
  if (signal) return 128 + (constants.signals[signal as keyof typeof constants.signals] ?? 15);
  if (line.status !== 'failed') return 0;
  return line.failure === 'bad-config' ? EXIT_BAD_CONFIG : line.failure === 'oom' ? EXIT_OUT_OF_MEMORY : 1;
}

interface SpecSource {
  specJson?: string;
  specFile?: string;
  specsFile?: string;
  index?: string;
}

async function loadSpec(src: SpecSource): Promise<Spec> {
  if (src.specJson !== undefined) return checkSpec(parseJson(src.specJson, '--spec-json'), '--spec-json');
  if (src.specFile !== undefined) return checkSpec(parseJson(await readText(src.specFile), src.specFile), src.specFile);
  let list: unknown;
  let where: string;
  if (src.specsFile !== undefined) {
    list = parseJson(await readText(src.specsFile), src.specsFile);
    where = src.specsFile;
  } else if (process.env.CAPLAB_SPECS !== undefined) {
    list = parseJson(process.env.CAPLAB_SPECS, 'env CAPLAB_SPECS');
    where = 'env CAPLAB_SPECS';
  } else {
    throw new CaplabError('usage', 'caplab worker got no spec.', {
      hint: 'Pass --spec-json, --spec-file, or --specs-file with --index, or set CAPLAB_SPECS.',
    });
  }
  if (!Array.isArray(list)) throw new CaplabError('usage', `${where} must hold a JSON array of specs.`);
  const rawIndex = src.index ?? process.env.JOB_COMPLETION_INDEX;
  const index = numberOption('index', rawIndex ?? '0', { integer: true, min: 0 }) as number;
  if (index >= list.length) {
    throw new CaplabError('usage', `Spec index ${index} is out of range: ${where} holds ${list.length} spec(s).`, {
      hint: 'Check --index / JOB_COMPLETION_INDEX against the number of specs (completions).',
    });
  }
  return checkSpec(list[index], `${where}[${index}]`);
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new CaplabError('usage', `Cannot read spec file ${path}.`, { cause: e });
  }
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CaplabError('usage', `${where} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

function checkSpec(value: unknown, where: string): Spec {
  const s = value as Partial<Spec> | null;
  if (!s || typeof s !== 'object' || typeof s.id !== 'string' || !s.id || typeof s.kind !== 'string') {
    throw new CaplabError('usage', `${where} is not a spec: it needs a string "id", a string "kind" and a "payload".`);
  }
  return { id: s.id, kind: s.kind, payload: s.payload };
}

/**
 * `--serve`: one process runs many specs, so a local executor pays a process start (and the
 * loading of tfjs) once per worker rather than once per spec. Specs run strictly one at a time;
 * each prints its result line before the next starts. A spec that did not end cleanly ends the
 * worker after its result line, with a one-spec worker's exit code; a SIGTERM stops the running
 * spec and then ends the worker; the runner starts another process for the next spec.
 */
async function serve(): Promise<number> {
  const queue: Spec[] = [];
  let running: { id: string; stop: AbortController } | null = null;
  let inputEnded = false;
  let terminated = false;
  let exitCode = 0;
  let wake: (() => void) | null = null;
  const poke = () => {
    wake?.();
    wake = null;
  };
  const lines = lineSplitter((line) => {
    if (!line.trim()) return;
    const command = parseWorkerCommand(line);
    if (!command) {
      process.stderr.write(`caplab worker --serve: ignored a stdin line that is not a worker command: ${line.slice(0, 200)}\n`);
      return;
    }
    if (command.caplab === 'stop') {
      if (running?.id === command.id) running.stop.abort();
      return;
    }
    queue.push(command.spec);
    poke();
  });
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => lines.push(chunk));
  process.stdin.on('end', () => {
    lines.end();
    inputEnded = true;
    poke();
  });
  const onTerm = () => {
    terminated = true;
    poke();
  };
  process.once('SIGTERM', onTerm);
  while (!terminated) {
    const next = queue.shift();
    if (!next) {
      if (inputEnded) break;
      await new Promise<void>((resolve) => (wake = resolve));
      continue;
    }
    let spec: Spec;
    try {
      spec = checkSpec(next, 'a spec on stdin');
    } catch (e) {
      const id = typeof (next as Partial<Spec>)?.id === 'string' ? (next as Spec).id : '?';
      process.stdout.write(formatResultLine({ id, status: 'failed', failure: 'bad-config', reason: (e as Error).message }) + '\n');
      continue;
    }
    running = { id: spec.id, stop: new AbortController() };
    const stop = running.stop.signal;
    const line = await runWorkerSpec(spec, stop);
    running = null;
    process.stdout.write(formatResultLine(stripTag(line)) + '\n');
    // Only a clean end leaves this process fit for another spec: done, refused as a bad config
    // before any work, or stopped by its runner. After anything else (a throw, a caught
    // out-of-memory, a SIGTERM) it ends with the exit code a one-spec worker would have.
    const clean = line.status === 'ok' || line.failure === 'bad-config' || (line.status === 'stopped' && stop.aborted && !stopSignal(line));
    if (!clean) {
      exitCode = exitCodeOf(line);
      break;
    }
  }
  process.off('SIGTERM', onTerm);
  process.stdin.pause();
  process.stdin.destroy();
  return exitCode;
}

/**
 * Runs a spec in this process with a WorkerContext wired to stdout and signals, and returns its
 * result line. Never throws for a failing spec. `stop` (a serving worker's stop command) ends it
 * as a signal would.
 */
export async function runWorkerSpec(spec: Spec, stop?: AbortSignal): Promise<WorkerResultLine> {
  const startedAt = new Date();
  const controller = new AbortController();
  let stoppedBy = '';
  const onSignal = (sig: NodeJS.Signals) => {
    stoppedBy = sig;
    controller.abort(new CaplabError('cancelled', `stopped by ${sig}`));
  };
  const onStop = () => {
    stoppedBy = 'its runner';
    controller.abort(new CaplabError('cancelled', 'stopped by its runner'));
  };
  if (stop?.aborted) onStop();
  stop?.addEventListener('abort', onStop, { once: true });
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const ctx: WorkerContext = {
    report: (data) => void process.stdout.write(formatProgressLine(spec.id, data) + '\n'),
    signal: controller.signal,
    scratchDir: process.env.CAPLAB_SCRATCH || tmpdir(),
  };
  let outcome: Pick<WorkerResultLine, 'status' | 'reason' | 'failure' | 'oom' | 'result'>;
  try {
    const load = SPEC_KINDS[spec.kind];
    if (!load) {
      throw new CaplabError('bad-config', `Unknown spec kind "${spec.kind}" (spec ${spec.id}).`, {
        hint: `Known kinds: ${Object.keys(SPEC_KINDS).join(', ')}.`,
      });
    }
    const mod = await load();
    // The module checks its payload (it came from JSON), so the registry hands it the spec as read.
    const result = await (mod.runSpec as SpecRunner)(spec, ctx);
    outcome = controller.signal.aborted
      ? { status: 'stopped', failure: 'cancelled', reason: `stopped by ${stoppedBy}`, result }
      : { status: 'ok', result };
  } catch (e) {
    outcome = failureOf(e, controller.signal.aborted ? stoppedBy : '');
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    stop?.removeEventListener('abort', onStop);
  }
  const finishedAt = new Date();
  return {
    caplab: 'result',
    id: spec.id,
    ...outcome,
    provenance: provenanceFor(outcome.result),
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    seconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
  };
}

function failureOf(e: unknown, stoppedBy: string): Pick<WorkerResultLine, 'status' | 'reason' | 'failure' | 'oom'> {
  if (stoppedBy) return { status: 'stopped', failure: 'cancelled', reason: `stopped by ${stoppedBy}` };
  const message = e instanceof Error ? e.message : String(e);
  if (isCaplabError(e, 'bad-config')) return { status: 'failed', failure: 'bad-config', reason: message };
  const oom = outOfMemory({ error: e });
  if (oom) return { status: 'failed', failure: 'oom', oom: oom.kind, reason: oom.reason };
  return { status: 'failed', failure: 'crash', reason: message };
}

function provenanceFor(result: unknown): Provenance {
  const executor = (process.env.CAPLAB_EXECUTOR as Provenance['executor'] | undefined) ?? 'inline';
  const backend = result && typeof result === 'object' ? (result as { backend?: unknown }).backend : undefined;
  return localProvenance(executor, typeof backend === 'string' ? backend : undefined);
}

function stripTag(line: WorkerResultLine): Omit<WorkerResultLine, 'caplab'> {
  const { caplab: _tag, ...rest } = line;
  return rest;
}
