/**
 * Where a running local control plane keeps everything it wrote (certificates, etcd data, logs,
 * kubeconfigs, volumes) and the state file `down` and a second `up` read.
 */
import { existsSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { alive, type Started } from './proc.ts';

export interface NodeInfo {
  name: string;
  ip: string;
  podCidr: string;
  port: number;
}

export interface ClusterState {
  version: 1;
  dir: string;
  startedAt: string;
  kubeconfig: string;
  server: string;
  serverVersion: string;
  bin: string;
  contexts: string[];
  namespace: string;
  /** `ownsBridge`: this run made the bridge (so `down` removes it). */
  network: { mode: 'netns' | 'host'; bridge?: string; cidr?: string; gateway?: string; why?: string; ownsBridge?: boolean };
  nodes: NodeInfo[];
  /** In start order; `down` stops them in reverse. */
  processes: Started[];
  /** Who started it: `cli` (kept until `down`), `suite` (scripts/test.ts stops it) or `test` (the last test process using it stops it). */
  owner: 'cli' | 'test' | 'suite';
  /** How long `up` took. */
  upSeconds?: number;
}

/** The runtime folder: $CAPLAB_LOCAL_DIR, else $XDG_RUNTIME_DIR/caplab-local, else <tmp>/caplab-local-<uid>. */
export function runtimeDir(): string {
  if (process.env.CAPLAB_LOCAL_DIR) return process.env.CAPLAB_LOCAL_DIR;
  if (process.env.XDG_RUNTIME_DIR) return join(process.env.XDG_RUNTIME_DIR, 'caplab-local');
  return join(tmpdir(), `caplab-local-${process.getuid?.() ?? 0}`);
}

export function statePath(dir = runtimeDir()): string {
  return join(dir, 'state.json');
}

export function readState(dir = runtimeDir()): ClusterState | undefined {
  const p = statePath(dir);
  if (!existsSync(p)) return undefined;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

export function writeState(s: ClusterState): void {
  const p = statePath(s.dir);
  writeFileSync(`${p}.tmp`, JSON.stringify(s, null, 2) + '\n');
  renameSync(`${p}.tmp`, p);
}

/** A state whose every process still runs. */
export function isRunning(s: ClusterState | undefined): s is ClusterState {
  return !!s && s.processes.length > 0 && s.processes.every((p) => alive(p.pid));
}

/**
 * One `up` or `down` at a time per runtime folder (two test processes may start together).
 * A lock left by a dead process is taken over.
 */
export async function withLock<T>(dir: string, fn: () => Promise<T>, timeoutMs = 180_000): Promise<T> {
  const lock = `${dir}.lock`;
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number(readFileSync(lock, 'utf8') || 0);
      if (!holder || !alive(holder)) {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > until) throw new Error(`another caplab cluster command (pid ${holder}) holds ${lock}; wait for it or remove the file if that process is gone.`);
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}
