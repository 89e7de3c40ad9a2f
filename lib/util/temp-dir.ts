/**
 * Temp folders beside an output, named `.NAME.caplab-tmp.HOST.PID.RANDOM`, so whoever finds one
 * later can tell whose it was. A live one is removed when the process exits or is stopped by
 * SIGINT/SIGTERM; one left by kill -9 or a power cut is swept by a later run once its owner is
 * known to be gone.
 */
import { rmSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ownerAlive } from './lock.ts';

const MARK = '.caplab-tmp.';

/** The host part of temp names: the hostname with anything but letters, digits and '-' replaced. */
function hostTag(host = hostname()): string {
  return host.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 63) || 'host';
}

export interface TempDir {
  path: string;
  /** Removes the folder (if it is still there) and stops guarding it. */
  remove(): Promise<void>;
  /** Stops guarding it (after it was renamed into place). */
  release(): void;
}

const live = new Set<string>();
let hooked = false;

function removeLiveSync(): void {
  // Retried: a generator thread may add a file between the listing and the rmdir.
  for (const p of live) rmSync(p, { recursive: true, force: true, maxRetries: 3 });
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  // Only when nothing else listens would Node's default have ended the process: then clean up
  // and end it the same way. With another listener (a CLI that stops gracefully, a notebook
  // kernel) the process goes on, and the exit hook cleans up if it ends.
  if (process.listenerCount(signal) > 1) return;
  removeLiveSync();
  process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', removeLiveSync);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function unhookIfIdle(): void {
  if (!hooked || live.size > 0) return;
  hooked = false;
  process.off('exit', removeLiveSync);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

/** Makes a temp folder beside `target` for building it, removed on exit or SIGINT/SIGTERM unless released. */
export async function makeTempDir(target: string): Promise<TempDir> {
  const abs = resolve(target);
  const path = join(dirname(abs), `.${basename(abs)}${MARK}${hostTag()}.${process.pid}.${randomBytes(4).toString('hex')}`);
  await mkdir(path);
  live.add(path);
  hook();
  return {
    path,
    async remove() {
      live.delete(path);
      unhookIfIdle();
      await rm(path, { recursive: true, force: true });
    },
    release() {
      live.delete(path);
      unhookIfIdle();
    },
  };
}

export interface StaleTemp {
  path: string;
  /** Why it was judged stale, for the message. */
  why: string;
}

/**
 * Removes temp folders beside `target` that no running process owns: any of this host's whose
 * pid is gone, and — when the caller holds `target`'s lock — any for `target` itself (its
 * writer cannot be running), including the `.NAME.tmp-*` folders of caplab versions before
 * these names. Returns what it removed.
 */
export async function sweepStaleTempDirs(target: string, options: { lockHeld?: boolean } = {}): Promise<StaleTemp[]> {
  const abs = resolve(target);
  const parent = dirname(abs);
  const name = basename(abs);
  let entries: string[];
  try {
    entries = await readdir(parent);
  } catch {
    return [];
  }
  const removed: StaleTemp[] = [];
  const me = hostTag();
  for (const entry of entries) {
    if (!entry.startsWith('.')) continue;
    let why: string | null = null;
    const at = entry.lastIndexOf(MARK);
    if (at > 0) {
      const forName = entry.slice(1, at);
      const [host, pidText] = entry.slice(at + MARK.length).split('.');
      const pid = Number(pidText);
      if (host === me && Number.isInteger(pid) && pid > 0 && ownerAlive({ pid, host: hostname(), what: '', since: '' }) === false) {
        why = `left by pid ${pid}, which is no longer running`;
      } else if (forName === name && options.lockHeld && !(host === me && pid === process.pid)) {
        why = `left by pid ${pid} on ${host}, which no longer holds ${name}'s lock`;
      }
    } else if (options.lockHeld && entry.startsWith(`.${name}.tmp-`)) {
      why = 'left by an interrupted write of an earlier caplab';
    }
    if (why === null) continue;
    const path = join(parent, entry);
    await rm(path, { recursive: true, force: true });
    removed.push({ path, why });
  }
  return removed;
}
