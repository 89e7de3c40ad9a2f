/**
 * The local control plane's processes: each started in its own process group (so `down` can end
 * it with everything it spawned), output to a log file, and never tied to the starting process.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Started {
  name: string;
  /** Also the process group id (the process leads its group). */
  pid: number;
  log: string;
}

export interface StartOptions {
  log: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export function startProcess(name: string, file: string, args: string[], o: StartOptions): Started {
  const fd = openSync(o.log, 'a');
  try {
    const child = spawn(file, args, { detached: true, stdio: ['ignore', fd, fd], env: o.env ?? process.env, cwd: o.cwd });
    if (child.pid === undefined) throw new Error(`could not start ${name} (${file}): is it executable?`);
    child.unref();
    return { name, pid: child.pid, log: o.log };
  } finally {
    closeSync(fd);
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // An exited process nobody has reaped yet (its parent was `up`, now gone) still answers signal 0.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Gone already.
  }
}

/** SIGTERM to the group, SIGKILL to what is left after graceMs. Resolves when the leader is gone. */
export async function stopGroup(pid: number, graceMs = 10_000): Promise<void> {
  killGroup(pid, 'SIGTERM');
  const until = Date.now() + graceMs;
  while (alive(pid) && Date.now() < until) await sleep(100);
  killGroup(pid, 'SIGKILL');
  while (alive(pid)) await sleep(50);
}

/** The last lines of a process's log, for an error message. */
export function logTail(path: string, lines = 15): string {
  if (!existsSync(path)) return '(no log)';
  return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** A TCP port nobody listens on at `host` right now. */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
