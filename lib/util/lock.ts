/**
 * One writer per output: a lock file beside the output (`.NAME.caplab-lock`) holding the owner's
 * pid, host and process start time. A second writer is refused and told who holds it; the lock
 * of a process that is gone (same host, pid dead or reused) is taken over with a message.
 *
 * The lock sits beside the output, not in it, because dataset folders are renamed into place
 * whole and an experiment folder may not exist yet.
 */
import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeSync, linkSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { CaplabError } from '../errors.ts';
import { makeParents } from './output-path.ts';

export interface LockOwner {
  pid: number;
  host: string;
  /** The process's start time in clock ticks since boot (Linux), so a reused pid is not taken for the owner. */
  start?: number;
  /** What it is doing, for people: "data generate", "search". */
  what: string;
  since: string;
}

export interface OutputLock {
  /** The lock file. */
  path: string;
  /** What the lock guards. */
  target: string;
  /** Set when a dead process's lock was taken over: says whose. */
  tookOver?: LockOwner;
  /** Removes the lock file (only if it is still ours). Idempotent. */
  release(): void;
}

export interface LockOptions {
  /** What the holder is doing, shown to a refused second writer. Default 'caplab'. */
  what?: string;
  /** Told when a stale lock is taken over. */
  onMessage?: (text: string) => void;
}

/** The lock file that guards `target`. */
export function lockPathFor(target: string): string {
  const abs = resolve(target);
  return join(dirname(abs), `.${basename(abs)}.caplab-lock`);
}

/** This process's start time in clock ticks (Linux /proc), or undefined elsewhere. */
export function processStart(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(fields[19]);
    return Number.isFinite(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the process that wrote `owner` still runs here; null when it ran on another host. */
export function ownerAlive(owner: LockOwner): boolean | null {
  if (owner.host !== hostname()) return null;
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    // EPERM: the pid exists but belongs to another user, so it is alive.
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (owner.start !== undefined) {
    const now = processStart(owner.pid);
    if (now !== undefined && now !== owner.start) return false;
  }
  return true;
}

const held = new Map<string, LockOwner>();
let exitHook = false;

function readOwner(path: string): LockOwner | null {
  try {
    const o = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
    return typeof o.pid === 'number' && typeof o.host === 'string' ? o : null;
  } catch {
    return null;
  }
}

function describe(o: LockOwner): string {
  return `pid ${o.pid} on ${o.host} (${o.what}, since ${o.since})`;
}

function tryCreate(path: string, owner: LockOwner): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, JSON.stringify(owner) + '\n');
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Removes `path` if it still holds `owner`'s lock. */
function removeIfOwned(path: string, owner: LockOwner): void {
  const now = readOwner(path);
  if (now && now.pid === owner.pid && now.host === owner.host && now.since === owner.since) {
    try {
      unlinkSync(path);
    } catch {
      // Already gone: nothing to release.
    }
  }
}

/**
 * Takes the lock on `target` or throws CaplabError 'output-locked' naming the holder. A lock
 * left by a dead process on this host is taken over (and `onMessage` told); a lock from
 * another host is never broken, since its process cannot be checked from here.
 */
export async function acquireLock(target: string, options: LockOptions = {}): Promise<OutputLock> {
  const path = lockPathFor(target);
  await makeParents(target, 'output folder');
  const me: LockOwner = { pid: process.pid, host: hostname(), start: processStart(process.pid), what: options.what ?? 'caplab', since: new Date().toISOString() };
  let tookOver: LockOwner | undefined;
  for (let attempt = 0; ; attempt++) {
    if (tryCreate(path, me)) break;
    const owner = readOwner(path);
    if (owner && owner.pid === process.pid && owner.host === me.host && held.has(path)) {
      throw new CaplabError('output-locked', `${target} is already being written by this process (${owner.what}).`, {
        hint: 'Use another output folder for the second write.',
      });
    }
    const alive = owner ? ownerAlive(owner) : false;
    if (owner && alive !== false) {
      throw new CaplabError('output-locked', `${target} is in use: ${describe(owner)} holds its lock ${path}.`, {
        hint:
          alive === null
            ? `Wait for it to finish, or use another output folder. If that process is gone, remove ${path}.`
            : `Wait for it to finish (or stop pid ${owner.pid}), or use another output folder.`,
      });
    }
    if (attempt >= 3) {
      throw new CaplabError('output-locked', `Could not take the lock ${path} for ${target}: other processes keep taking it.`, { hint: 'Retry when they are done.' });
    }
    // Stale (dead owner, or an unreadable half-written lock). Move it aside rather than delete
    // it, so that of two processes taking over at once only one wins the rename.
    const aside = `${path}.stale-${process.pid}-${attempt}`;
    try {
      renameSync(path, aside);
    } catch {
      continue;
    }
    const moved = readOwner(aside);
    if (moved && ownerAlive(moved) !== false) {
      // Between our read and our rename another process took the stale lock over: give it back.
      try {
        linkSync(aside, path);
      } catch {
        // Someone holds it again; the loop reports them.
      }
      unlinkSync(aside);
      continue;
    }
    unlinkSync(aside);
    if (owner) tookOver = owner;
  }
  held.set(path, me);
  if (!exitHook) {
    exitHook = true;
    // A process that exits (normally, by process.exit, or after a handled signal) leaves no lock.
    process.on('exit', () => {
      for (const [p, o] of held) removeIfOwned(p, o);
    });
  }
  if (tookOver) {
    options.onMessage?.(`took over the lock on ${target} left by ${describe(tookOver)}, which is no longer running`);
  }
  let released = false;
  return {
    path,
    target,
    ...(tookOver ? { tookOver } : {}),
    release() {
      if (released) return;
      released = true;
      held.delete(path);
      removeIfOwned(path, me);
    },
  };
}

/** Runs `fn` holding the lock on `target`, and releases it however `fn` ends. */
export async function withLock<T>(target: string, options: LockOptions, fn: (lock: OutputLock) => Promise<T>): Promise<T> {
  const lock = await acquireLock(target, options);
  try {
    return await fn(lock);
  } finally {
    lock.release();
  }
}
