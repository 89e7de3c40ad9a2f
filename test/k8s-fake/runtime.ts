/** Container runtimes: a local process, or a simulated container that exits per a script. */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { ResolvedCommand, SimulatedOutcome } from './types.ts';

export interface ExitInfo {
  exitCode: number;
  /** The container never started (exec failed): terminated reason StartError. */
  startError?: string;
}

export interface RunCallbacks {
  output(text: string): void;
  exit(info: ExitInfo): void;
}

export interface ContainerHandle {
  /** SIGTERM now, SIGKILL after graceMs (a simulated container just ends with 143 or 137). */
  stop(graceMs: number): void;
  /** Ends a held simulated container. */
  finish?(outcome: SimulatedOutcome): void;
  /** Resolves once the container has exited. */
  exited: Promise<void>;
}

export function startProcess(cmd: ResolvedCommand, env: Record<string, string>, cwd: string, cb: RunCallbacks, onSpawn?: (kill: () => void) => void): ContainerHandle {
  let done = false;
  let resolveExited!: () => void;
  const exited = new Promise<void>((r) => (resolveExited = r));
  const finish = (info: ExitInfo) => {
    if (done) return;
    done = true;
    cb.exit(info);
    resolveExited();
  };
  const child = spawn(cmd.file, cmd.args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.setEncoding('utf8').on('data', (t: string) => cb.output(t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => cb.output(t));
  child.on('spawn', () => onSpawn?.(() => child.kill('SIGKILL')));
  child.on('error', (e: NodeJS.ErrnoException) => {
    if (child.pid === undefined) {
      const why = e.code === 'ENOENT' ? `exec: "${cmd.file}": executable file not found in $PATH` : e.message;
      finish({ exitCode: 128, startError: `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ${why}: unknown` });
    }
  });
  child.on('close', (code, signal) => {
    const signo = signal ? (constants.signals as Record<string, number>)[signal] ?? 9 : 0;
    finish({ exitCode: code ?? 128 + signo });
  });
  let killTimer: NodeJS.Timeout | undefined;
  return {
    exited,
    stop(graceMs) {
      if (done) return;
      if (graceMs <= 0) return void child.kill('SIGKILL');
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      killTimer.unref();
      void exited.then(() => clearTimeout(killTimer));
    },
  };
}

export function startSimulated(outcome: SimulatedOutcome | 'hold', cb: RunCallbacks, later: (fn: () => void) => void): ContainerHandle {
  let done = false;
  let resolveExited!: () => void;
  const exited = new Promise<void>((r) => (resolveExited = r));
  const end = (o: SimulatedOutcome) => {
    if (done) return;
    done = true;
    if (o.log) cb.output(o.log);
    cb.exit({ exitCode: o.exitCode });
    resolveExited();
  };
  if (outcome !== 'hold') later(() => end(outcome));
  return {
    exited,
    stop: (graceMs) => end({ exitCode: graceMs > 0 ? 143 : 137 }),
    finish: end,
  };
}

/** A container whose process cannot be created: it ends at once with exit 128 and a StartError. */
export function startFailed(startError: string, cb: RunCallbacks, later: (fn: () => void) => void): ContainerHandle {
  let resolveExited!: () => void;
  const exited = new Promise<void>((r) => (resolveExited = r));
  let done = false;
  const end = () => {
    if (done) return;
    done = true;
    cb.exit({ exitCode: 128, startError });
    resolveExited();
  };
  later(end);
  return { exited, stop: end };
}
