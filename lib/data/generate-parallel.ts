/**
 * The synthetic dataset's shard groups built and written by this thread and worker threads, one
 * builder per core: every
 * ticker's numbers come from its own (seed, ticker) stream, so a group's bytes do not depend on
 * which thread made it, and the groups are handed back in order for the manifest.
 */
import { Worker } from 'node:worker_threads';
import type { Shard } from './manifest.ts';
import type { DateSplit } from './split.ts';
import type { ChunkMoments } from './stats.ts';
import type { WrittenGroup } from './group-files.ts';
import { CaplabError, type ErrorCode } from '../errors.ts';
import { FEATURE_COUNT, featureScratch } from './features.ts';
import { buildGroup, groupTickers, reusingAlloc } from './group-build.ts';
import { trainMoments, writeGroupFiles } from './group-files.ts';
import { syntheticSource } from './synthetic-source.ts';

/** What a generator thread needs to build any group of the dataset. */
export interface GroupJob {
  seed: number;
  /** Tickers in the dataset. */
  tickers: number;
  days: number;
  shardTickers: number;
  split: DateSplit;
}

/** A thread's report on one group. */
export type FromWorker =
  | { group: number; shards: Shard[]; train: ChunkMoments[] }
  | { group: number; error: { code?: ErrorCode; message: string; hint?: string; stack?: string } };

// The source file when run from TypeScript, the compiled one in the built package.
const WORKER = new URL(import.meta.url.endsWith('.ts') ? './generate-worker.ts' : './generate-worker.js', import.meta.url);

/**
 * This process's Node options for the threads, less `--input-type`: it is only for `node -e`
 * code, and a thread started from a file refuses to start with it. Undefined (inherit) when it
 * is not there: a list given explicitly must not hold process-wide options either, and inheriting
 * leaves those out.
 */
function threadExecArgv(argv: string[] = process.execArgv): string[] | undefined {
  if (!argv.some((a) => a === '--input-type' || a.startsWith('--input-type='))) return undefined;
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--input-type') i++;
    else if (!argv[i].startsWith('--input-type=')) out.push(argv[i]);
  }
  return out;
}

function fromWorker(group: number, e: Extract<FromWorker, { error: unknown }>['error']): Error {
  if (e.code) return new CaplabError(e.code, e.message, { hint: e.hint });
  const err = new Error(`generating shard group ${group} failed in a worker thread: ${e.message}`);
  if (e.stack) err.stack = e.stack;
  return err;
}

export interface GroupWorkers {
  /** Builds groups 0 … groupCount − 1 into `dir` and yields them in order; call once. */
  groups(dir: string): AsyncGenerator<WrittenGroup>;
  /** Ends the threads (also when `groups` ends, even on an error). */
  stop(): Promise<void>;
}

/**
 * Builds a dataset of `groupCount` groups on `builders` threads in all: this thread and
 * builders − 1 worker threads (at most one builder per group). The workers start before the
 * output folder is ready, since a thread takes a while to load its modules, and this thread
 * builds meanwhile. Each builder has at most two groups at a time (one built, one written), so
 * memory stays that of 2 × builders groups whatever the dataset size.
 */
export function startGroupWorkers(job: GroupJob, groupCount: number, builders: number): GroupWorkers {
  const n = Math.max(1, Math.min(builders, groupCount)) - 1;
  const done = new Map<number, WrittenGroup>();
  let dir = '';
  let next = 0;
  let failure: Error | null = null;
  let stopping = false;
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const give = (w: Worker) => {
    if (next < groupCount) w.postMessage({ group: next++, dir });
  };
  const threads: Worker[] = [];
  for (let i = 0; i < n; i++) {
    const w = new Worker(WORKER, { workerData: job, execArgv: threadExecArgv() });
    w.on('message', (m: FromWorker) => {
      if ('error' in m) failure ??= fromWorker(m.group, m.error);
      else {
        done.set(m.group, { shards: m.shards, train: m.train });
        give(w);
      }
      notify();
    });
    w.on('error', (e) => {
      failure ??= e;
      notify();
    });
    w.on('exit', (code) => {
      if (!stopping) failure ??= new Error(`a data generator thread stopped early (exit code ${code}).`);
      notify();
    });
    threads.push(w);
  }

  // This thread's share: the next group whenever it is free, built between turns of the event
  // loop (buildGroup yields every few tickers), so the workers' reports are still taken.
  async function buildHere(): Promise<void> {
    const source = syntheticSource(job.seed, job.tickers, job.days);
    const scratch = featureScratch();
    const alloc = reusingAlloc();
    let writing: Promise<void> | null = null;
    try {
      while (!stopping && !failure && next < groupCount) {
        const g = next++;
        const shards = await buildGroup(source, g, groupTickers(g, job.shardTickers, job.tickers), job.split, scratch, alloc);
        const train = trainMoments(shards, FEATURE_COUNT);
        if (writing) await writing;
        writing = writeGroupFiles(dir, shards).then((written) => {
          alloc.release(shards);
          done.set(g, { shards: written, train });
          notify();
        });
      }
      if (writing) await writing;
    } catch (e) {
      failure ??= e as Error;
      notify();
    }
  }
  let here: Promise<void> = Promise.resolve();

  const stop = async () => {
    stopping = true;
    await Promise.all([here, ...threads.map((w) => w.terminate())]);
  };
  async function* groups(into: string): AsyncGenerator<WrittenGroup> {
    dir = into;
    for (const w of threads) {
      give(w);
      give(w);
    }
    here = buildHere();
    try {
      for (let g = 0; g < groupCount; g++) {
        while (!done.has(g)) {
          if (failure) throw failure;
          await new Promise<void>((resolve) => (wake = resolve));
        }
        const group = done.get(g)!;
        done.delete(g);
        yield group;
      }
    } finally {
      // Waits for this thread's last write too: the temp folder is removed after this on an error.
      await stop();
    }
  }
  return { groups, stop };
}
