/**
 * One container as a local process: in its own process group (so stopping it reaches whatever
 * it started), inside the pod's network namespace, as the pod's user, and inside its memory
 * cgroup from its first instruction (a shell writes its own pid into the cgroup, then execs).
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { ResolvedCommand } from './wire.ts';
import { rssBytes, type MemoryCgroup } from './cgroup.ts';
import { tool } from './netns.ts';

export interface ContainerProcessOptions {
  cmd: ResolvedCommand;
  env: Record<string, string>;
  cwd: string;
  /** `ip netns exec <ns>` or nothing. */
  netnsExec?: string[];
  /** Drop to this user (needs root). */
  user?: { uid: number; gid: number; groups: number[] };
  cgroup?: MemoryCgroup;
  /** Without a cgroup: kill the container when its RSS goes over this many bytes. */
  rssLimit?: number;
  output(text: string): void;
}

export interface ContainerExit {
  exitCode: number;
  /** The kernel (or the RSS watch) killed it for memory. */
  oomKilled: boolean;
  /** It never ran: exec failed (terminated reason StartError). */
  startError?: string;
}

export interface ContainerProcess {
  pid: number | undefined;
  exited: Promise<ContainerExit>;
  /** SIGTERM to the group now, SIGKILL after graceMs (at once when 0). */
  stop(graceMs: number): void;
}

function signalGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, sig);
  } catch {
    // Gone.
  }
}

export function startContainer(o: ContainerProcessOptions): ContainerProcess {
  let argv = [o.cmd.file, ...o.cmd.args];
  if (o.user) argv = [tool('setpriv'), `--reuid=${o.user.uid}`, `--regid=${o.user.gid}`, o.user.groups.length ? `--groups=${o.user.groups.join(',')}` : '--clear-groups', '--', ...argv];
  if (o.netnsExec) argv = [...o.netnsExec, ...argv];
  if (o.cgroup) argv = ['/bin/sh', '-c', 'echo $$ > "$0" && exec "$@"', o.cgroup.procs, ...argv];
  const child = spawn(argv[0]!, argv.slice(1), { env: o.env, cwd: o.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.setEncoding('utf8').on('data', (t: string) => o.output(t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => o.output(t));
  let rssKilled = false;
  let watch: NodeJS.Timeout | undefined;
  if (!o.cgroup && o.rssLimit && child.pid) {
    const pid = child.pid;
    watch = setInterval(() => {
      if (rssBytes(pid) > o.rssLimit!) {
        rssKilled = true;
        signalGroup(pid, 'SIGKILL');
      }
    }, 200);
  }
  const oomBefore = o.cgroup?.oomKills() ?? 0;
  const exited = new Promise<ContainerExit>((resolve) => {
    let done = false;
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (done || child.pid !== undefined) return;
      done = true;
      if (watch) clearInterval(watch);
      const why = e.code === 'ENOENT' ? `exec: "${argv[0]}": executable file not found in $PATH` : e.message;
      resolve({ exitCode: 128, oomKilled: false, startError: `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ${why}: unknown` });
    });
    child.on('exit', (code, signal) => {
      if (done) return;
      done = true;
      if (watch) clearInterval(watch);
      const signo = signal ? (constants.signals as Record<string, number>)[signal] ?? 9 : 0;
      // Any OOM kill in the cgroup counts, as for a real runtime: a child killed while the main
      // process exits 0 still makes the container OOMKilled, with the main process's exit code.
      const oomKilled = rssKilled || (o.cgroup ? o.cgroup.oomKills() > oomBefore : false);
      // What is left of the container (children of the main process) ends with it.
      signalGroup(child.pid, 'SIGKILL');
      resolve({ exitCode: code ?? 128 + signo, oomKilled });
    });
  });
  let killTimer: NodeJS.Timeout | undefined;
  return {
    pid: child.pid,
    exited,
    stop(graceMs) {
      if (graceMs <= 0) return signalGroup(child.pid, 'SIGKILL');
      signalGroup(child.pid, 'SIGTERM');
      killTimer ??= setTimeout(() => signalGroup(child.pid, 'SIGKILL'), graceMs);
      void exited.then(() => clearTimeout(killTimer));
    },
  };
}
