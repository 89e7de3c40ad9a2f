/**
 * One local worker process and the specs it runs. Started with the spec on its command line it
 * runs that one spec and exits (one process per spec); started with `--serve` it takes specs on
 * stdin one after another, so a runner can hand it the next spec when the last one ended cleanly.
 * Either way each spec is supervised on its own: its progress, its stop, its memory watch (on a
 * serving worker the peak is reset at each spec's start, so it is that spec's), its end. A memory
 * budget is only ever given to a one-spec worker (lib/exec/local.ts): the budget, and the cgroup
 * that may hold it, belong to one process for one spec, as a pod's limit belongs to one container.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { formatWorkerCommand, lineSplitter, parseWorkerLine, type WorkerResultLine } from '../spec/protocol.ts';
import type { Spec } from '../spec/types.ts';
import { watchMemory, type MemoryWatch, type MemoryWatchOptions } from './memory-watch.ts';
import { resetPeakMemory } from './proc.ts';
import type { ExecHooks } from './types.ts';

/** Bytes of the worker's stderr kept for a spec's failure reason. */
const STDERR_TAIL = 16 * 1024;

export interface WorkerProcessOptions {
  /** Worker name reported with progress, e.g. "pool-2". */
  name: string;
  /** `[node flags…, script, args…]` before the spec arguments (or `--serve`). */
  argv: string[];
  env: NodeJS.ProcessEnv;
  /** After SIGTERM (or a stop command to a serving worker), how long before SIGKILL. */
  killGraceMs: number;
  memory?: MemoryWatchOptions;
}

/** What the runner saw of one spec by the time it ended. */
export interface SpecEnd {
  /** How the process ended; both null while it lives on (a serving worker after a clean end). */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** False when the process is still running, ready for another spec. */
  exited: boolean;
  line: WorkerResultLine | null;
  /** The tail of what the worker wrote to stderr while this spec ran. */
  stderr: string;
  stopCause?: 'early-stop' | 'cancelled';
  spawnError?: Error;
  memory?: MemoryWatch;
}

interface Running {
  spec: Spec;
  hooks: ExecHooks;
  end: Omit<SpecEnd, 'code' | 'signal' | 'exited'>;
  resolve: (end: SpecEnd) => void;
  killTimer?: NodeJS.Timeout;
  onAbort: () => void;
}

export class WorkerProcess {
  readonly serving: boolean;
  private readonly child: ChildProcess;
  private readonly o: WorkerProcessOptions;
  private running: Running | null = null;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private spawnError: Error | undefined;
  private exitWaiters: Array<() => void> = [];
  private peakResettable = true;
  private lastClean = true;
  private spawned = false;

  /** Starts a worker: for one spec (`spec` given), or serving specs on stdin (`spec` undefined). */
  constructor(options: WorkerProcessOptions, spec?: Spec) {
    this.o = options;
    this.serving = spec === undefined;
    const args = spec === undefined ? [...options.argv, '--serve'] : [...options.argv, '--spec-json', JSON.stringify(spec)];
    this.child = spawn(process.execPath, args, { env: options.env, stdio: [this.serving ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    // A worker that died leaves its stdin closed: a late write must not become an uncaught EPIPE.
    this.child.stdin?.on('error', () => {});
    const lines = lineSplitter((line) => this.onLine(line));
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => lines.push(chunk));
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => {
      if (this.running) this.running.end.stderr = (this.running.end.stderr + chunk).slice(-STDERR_TAIL);
    });
    this.child.once('spawn', () => {
      this.spawned = true;
    });
    this.child.on('error', (e) => {
      this.spawnError = e;
    });
    this.child.on('close', (code, signal) => {
      lines.end();
      this.exit = { code, signal };
      if (this.running) this.settle(true);
      for (const w of this.exitWaiters.splice(0)) w();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * True when this process may run another spec: it serves, it lives, and its last spec ended
   * with a result line and status ok, a bad config (refused before any work) or an early stop.
   * A crash, an out-of-memory or a budget kill is never followed by another spec in the same process.
   */
  get reusable(): boolean {
    return this.serving && this.exit === null && !this.spawnError && this.running === null && this.lastClean && (this.peakResettable || !this.o.memory);
  }

  /** Runs `spec` (for a one-spec worker: the spec it was started with). Resolves when it has ended. */
  async run(spec: Spec, hooks: ExecHooks): Promise<SpecEnd> {
    if (this.running) throw new Error(`worker ${this.pid} is already running spec ${this.running.spec.id}`);
    if (this.serving && this.o.memory && this.child.pid !== undefined && this.exit === null) {
      // The kernel's high-water mark covers the process's whole life: start it again at this
      // spec's resident memory, so the peak is this spec's (with what it kept from earlier
      // specs). Where that is not allowed, the process runs no second spec.
      this.peakResettable = await resetPeakMemory(this.child.pid);
    }
    return new Promise<SpecEnd>((resolve) => {
      const onAbort = () => this.stop('cancelled');
      const memory = this.o.memory ? watchMemory(this.child, this.o.memory, this.spawned) : undefined;
      this.running = { spec, hooks, end: { line: null, stderr: '', memory }, resolve, onAbort };
      hooks.signal?.addEventListener('abort', onAbort, { once: true });
      if (this.exit || this.spawnError) return this.settle(true);
      if (this.serving) this.child.stdin!.write(formatWorkerCommand({ caplab: 'run', spec }) + '\n');
      // Aborted while the peak was being reset: the listener came too late to hear it.
      if (hooks.signal?.aborted) onAbort();
    });
  }

  /** Ends a serving worker (stdin closed; SIGKILL if it lingers) and resolves once it has exited. */
  async close(): Promise<void> {
    if (this.exit) return;
    const exited = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    this.child.stdin?.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), this.o.killGraceMs);
    await exited;
    clearTimeout(timer);
  }

  private onLine(line: string): void {
    const r = this.running;
    const parsed = parseWorkerLine(line);
    if (!r || !parsed || parsed.id !== r.spec.id) return;
    if (parsed.caplab === 'result') {
      r.end.line = parsed;
      // A one-spec worker's result is final when the process closes. A serving one's is final
      // now when the spec ended cleanly; otherwise the worker exits after it (with a one-spec
      // worker's exit code, which the result then records), and SIGKILL follows if it lingers.
      if (!this.serving) return;
      if (this.endedCleanly(r)) return this.settle(false);
      clearTimeout(r.killTimer);
      r.killTimer = setTimeout(() => this.child.kill('SIGKILL'), this.o.killGraceMs);
      return;
    }
    r.hooks.onEvent?.({ kind: 'progress', id: r.spec.id, worker: this.o.name, data: parsed.data });
    if (r.hooks.onSpecProgress?.(r.spec.id, parsed.data) === 'stop') this.stop('early-stop');
  }

  /**
   * Stops the running spec. An early stop asks a serving worker to end the spec and keep going
   * (its result line still comes); a cancel, or a one-spec worker, gets SIGTERM. Either way
   * SIGKILL follows if the spec has not ended within the grace period.
   */
  private stop(cause: 'early-stop' | 'cancelled'): void {
    const r = this.running;
    if (!r || r.end.stopCause || this.exit) return;
    r.end.stopCause = cause;
    if (cause === 'early-stop' && this.serving) this.child.stdin!.write(formatWorkerCommand({ caplab: 'stop', id: r.spec.id }) + '\n');
    else this.child.kill('SIGTERM');
    r.killTimer = setTimeout(() => this.child.kill('SIGKILL'), this.o.killGraceMs);
  }

  /** The same rule the serving worker follows to decide it may take another spec. */
  private endedCleanly(r: Running): boolean {
    const { line } = r.end;
    if (!line || r.end.memory?.overBudget || r.end.stopCause === 'cancelled') return false;
    return line.status === 'ok' || line.failure === 'bad-config' || (line.status === 'stopped' && r.end.stopCause === 'early-stop');
  }

  private settle(exited: boolean): void {
    const r = this.running;
    if (!r) return;
    this.running = null;
    clearTimeout(r.killTimer);
    r.hooks.signal?.removeEventListener('abort', r.onAbort);
    this.lastClean = !exited && this.endedCleanly(r);
    // Stopping a watch that holds a cgroup reads the kernel's OOM count and removes the cgroup.
    void (r.end.memory ? r.end.memory.stop() : Promise.resolve()).then(() =>
      r.resolve({
        ...r.end,
        ...(this.spawnError ? { spawnError: this.spawnError } : {}),
        exited,
        code: exited ? (this.exit?.code ?? null) : null,
        signal: exited ? (this.exit?.signal ?? null) : null,
      }),
    );
  }
}
