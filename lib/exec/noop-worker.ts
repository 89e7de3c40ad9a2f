/**
 * Spec kind 'noop': does (almost) nothing, on purpose. It measures an executor's own overhead per
 * spec and plays the misbehaving trial in failure tests (throw, crash, run out of memory).
 */
import { CaplabError } from '../errors.ts';
import type { Spec, WorkerContext } from '../spec/types.ts';

export interface NoopPayload {
  /** Waits this long (ends early when stopped). Default 0. */
  sleepMs?: number;
  /** Throws: `true` a plain error, `'bad-config'` a CaplabError('bad-config'). */
  fail?: boolean | 'bad-config';
  /** Dies without a result line: `'exit'` (or true) exits with code 70, `'kill'` SIGKILLs itself, `'abort'` aborts. */
  crash?: boolean | 'exit' | 'kill' | 'abort';
  /** Allocates this many MiB on the JS heap and holds it (with a small --max-old-space-size: a V8 OOM). */
  allocateMiB?: number;
  /** Reports these values as `{epoch, valLoss}` one by one (a fake loss curve), `stepMs` apart. */
  curve?: number[];
  stepMs?: number;
}

export interface NoopResult {
  pid: number;
  sleptMs: number;
  allocatedMiB: number;
  epochs: number;
}

export async function runSpec(spec: Spec, ctx: WorkerContext): Promise<NoopResult> {
  const p = (spec.payload ?? {}) as NoopPayload;
  const start = Date.now();
  if (p.fail === 'bad-config') throw new CaplabError('bad-config', `noop spec ${spec.id} asked to fail as a bad config.`);
  if (p.fail) throw new Error(`noop spec ${spec.id} asked to fail.`);
  if (p.crash) crash(p.crash);
  const held: number[][] = [];
  for (let i = 0; i < (p.allocateMiB ?? 0); i++) {
    // 1 MiB of doubles in a packed JS array lives on the V8 heap, which --max-old-space-size caps.
    held.push(new Array(131072).fill(i + 0.5));
  }
  let epochs = 0;
  for (const valLoss of p.curve ?? []) {
    if (ctx.signal.aborted) break;
    epochs++;
    ctx.report({ epoch: epochs, loss: valLoss, valLoss, seconds: (Date.now() - start) / 1000 });
    if (p.stepMs) await sleep(p.stepMs, ctx.signal);
  }
  if (p.sleepMs) await sleep(p.sleepMs, ctx.signal);
  return { pid: process.pid, sleptMs: Date.now() - start, allocatedMiB: held.length, epochs };
}

function crash(how: NonNullable<NoopPayload['crash']>): never {
  if (how === 'kill') process.kill(process.pid, 'SIGKILL');
  if (how === 'abort') process.abort();
  process.exit(70);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
