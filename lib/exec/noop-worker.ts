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
  /**
   * Starts a child process that allocates this many MiB of touched memory and waits for it, however
   * it ends, then succeeds: a helper process (a data loader, a converter) that the kernel OOM-kills
   * inside the container's memory limit while the trial itself exits 0.
   */
  childAllocateMiB?: number;
  /** Reports these values as `{epoch, valLoss}` one by one (a fake loss curve), `stepMs` apart. */
  curve?: number[];
  stepMs?: number;
}

export interface NoopResult {
  pid: number;
  sleptMs: number;
  allocatedMiB: number;
  epochs: number;
  /** How the child of `childAllocateMiB` ended (its exit code, or the signal that ended it). */
  child?: { code: number | null; signal: string | null };
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
  const child = p.childAllocateMiB ? await allocateInChild(p.childAllocateMiB) : undefined;
  let epochs = 0;
  for (const valLoss of p.curve ?? []) {
    if (ctx.signal.aborted) break;
    epochs++;
    ctx.report({ epoch: epochs, loss: valLoss, valLoss, seconds: (Date.now() - start) / 1000 });
    if (p.stepMs) await sleep(p.stepMs, ctx.signal);
  }
  if (p.sleepMs) await sleep(p.sleepMs, ctx.signal);
  return { pid: process.pid, sleptMs: Date.now() - start, allocatedMiB: held.length, epochs, ...(child ? { child } : {}) };
}

async function allocateInChild(mib: number): Promise<NonNullable<NoopResult['child']>> {
  // Loaded only here: node:child_process costs a noticeable part of a bare worker start, which
  // the noop spec exists to measure.
  const { spawn } = await import('node:child_process');
  const code = `const held = []; for (let i = 0; i < ${Math.floor(mib)}; i++) held.push(Buffer.alloc(1 << 20).fill(1));`;
  return new Promise((resolve) => {
    spawn(process.execPath, ['-e', code], { stdio: 'ignore' })
      .on('error', () => resolve({ code: null, signal: null }))
      .on('exit', (code, signal) => resolve({ code, signal }));
  });
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
