/**
 * Runs one probe child under a memory budget: samples its memory from /proc every few tens of
 * milliseconds, kills it (SIGKILL) the moment it goes over the budget, and says how it ended.
 * Whatever the child does, this resolves: the parent never dies with it.
 */
import { spawn } from 'node:child_process';
import { classifyExit, type ExitClass } from './oom.ts';
import { readProcMemory } from './proc.ts';

export interface ChildRunOptions {
  /** Executable and arguments. */
  argv: string[];
  /** SIGKILL the child when its resident memory goes over this many bytes. */
  budgetBytes: number;
  /** Default 50. */
  sampleMs?: number;
  /** Called with the peak so far, at most every `reportMs` (default 250). */
  onSample?: (peakBytes: number, rssBytes: number) => void;
  reportMs?: number;
  /** Kills the child; the run then ends as `failed` with reason "cancelled". */
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface ChildRun extends ExitClass {
  /** Highest resident memory seen: the kernel's VmHWM, and the child's own maxRSS if it reported one. */
  peakBytes: number;
  seconds: number;
  samples: number;
  exitCode: number | null;
  exitSignal: NodeJS.Signals | null;
  /** The last JSON object the child printed on stdout (its result), if any. */
  result?: Record<string, unknown>;
}

const TAIL_CHARS = 64 * 1024;

function keepTail(prev: string, chunk: string): string {
  const s = prev + chunk;
  return s.length > TAIL_CHARS ? s.slice(-TAIL_CHARS) : s;
}

/** The last line of `stdout` that parses as a JSON object. */
export function lastJsonObject(stdout: string): Record<string, unknown> | undefined {
  const lines = stdout.trim().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i].trim();
    if (!line.startsWith('{')) continue;
    try {
      const v = JSON.parse(line) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // A torn or non-JSON line: keep looking further up.
    }
  }
  return undefined;
}

export function runProbeChild(options: ChildRunOptions): Promise<ChildRun> {
  const sampleMs = options.sampleMs ?? 50;
  const reportMs = options.reportMs ?? 250;
  const start = performance.now();
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let peak = 0;
    let samples = 0;
    let killedForBudget = false;
    let cancelled = false;
    let lastReport = 0;
    let sampling = false;
    const [file, ...args] = options.argv;
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env, cwd: options.cwd });
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout = keepTail(stdout, d)));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = keepTail(stderr, d)));

    const kill = () => {
      try {
        child.kill('SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const sample = async () => {
      if (sampling || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      sampling = true;
      try {
        const mem = await readProcMemory(child.pid);
        if (!mem) return;
        samples++;
        peak = Math.max(peak, mem.hwmBytes);
        if (peak > options.budgetBytes && !killedForBudget) {
          killedForBudget = true;
          kill();
        }
        const now = performance.now();
        if (options.onSample && now - lastReport >= reportMs) {
          lastReport = now;
          options.onSample(peak, mem.rssBytes);
        }
      } finally {
        sampling = false;
      }
    };
    const timer = setInterval(() => void sample(), sampleMs);
    child.once('spawn', () => void sample());
    const onAbort = () => {
      cancelled = true;
      kill();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();

    let spawnError: Error | undefined;
    child.once('error', (e) => (spawnError = e));
    child.once('close', (code, signal) => {
      clearInterval(timer);
      options.signal?.removeEventListener('abort', onAbort);
      const seconds = (performance.now() - start) / 1000;
      const result = lastJsonObject(stdout);
      const reported = childMaxRss(result);
      if (reported !== undefined) peak = Math.max(peak, reported);
      const base = { peakBytes: peak, seconds, samples, exitCode: code, exitSignal: signal, result };
      if (spawnError) return resolve({ ...base, outcome: 'failed', reason: `could not start ${file}: ${spawnError.message}` });
      if (cancelled) return resolve({ ...base, outcome: 'failed', reason: 'cancelled' });
      const cls = classifyExit({ code, signal, killedForBudget, stderr, stdout });
      if (cls.outcome === 'ok' && !result) {
        return resolve({ ...base, outcome: 'failed', reason: 'child exited 0 without a result line on stdout' });
      }
      resolve({ ...base, ...cls });
    });
  });
}

/** The child's own peak (process.resourceUsage().maxRSS), wherever a worker put it in its result. */
function childMaxRss(result: Record<string, unknown> | undefined): number | undefined {
  if (!result) return undefined;
  const inner = (result.result && typeof result.result === 'object' ? result.result : result) as Record<string, unknown>;
  const v = inner.maxRssBytes;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
