import { rename, rm, open, mkdir, stat, lstat, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CaplabError } from '../errors.ts';
import { acquireLock } from './lock.ts';
import { makeParents, underFile } from './output-path.ts';
import { makeTempDir, sweepStaleTempDirs } from './temp-dir.ts';

/** Writes a file so readers see the old content or the new, never a half-written one. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await makeParents(path, 'file');
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

/**
 * Appends one line with a single write(2) on an O_APPEND descriptor and fsyncs it, so a crash
 * leaves at worst a torn last line, which readers skip.
 */
export async function appendLineDurable(path: string, line: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const fh = await open(path, 'a');
  try {
    await fh.write(line.endsWith('\n') ? line : line + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export interface AtomicDirOptions {
  /**
   * Replace an existing folder at `target` — only an empty one or one `isOurs` accepts. Default
   * false: an existing folder is an error.
   */
  force?: boolean;
  /** Whether the folder at `target` is one caplab made (so `force` may replace it). Default: none is. */
  isOurs?: (target: string) => Promise<boolean>;
  /** What the folder is, in the messages: "dataset folder". Default "output folder". */
  noun?: string;
  /** What is writing, recorded in the lock ("data generate"). */
  what?: string;
  /** Told about a stale lock taken over and stale temp folders removed. */
  onMessage?: (text: string) => void;
}

/**
 * Checks what is at `target` before it is (re)written: nothing, or a folder that `force` may
 * replace. A file, or a folder caplab did not make, is never replaced.
 */
export async function checkOutputTarget(target: string, options: AtomicDirOptions = {}): Promise<void> {
  const noun = options.noun ?? 'output folder';
  let st;
  try {
    st = await lstat(target);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR') throw underFile(target, noun, e);
    throw e;
  }
  if (!st.isDirectory()) {
    throw new CaplabError('output-not-ours', `${target} is a ${st.isSymbolicLink() ? 'symbolic link' : 'file'}, not a ${noun}; caplab will not replace it${options.force ? ', even with --force' : ''}.`, {
      hint: 'Choose another --out, or move that file away yourself.',
    });
  }
  if (!options.force) {
    throw new CaplabError('output-exists', `${noun[0].toUpperCase()}${noun.slice(1)} ${target} already exists.`, {
      hint: 'Choose another --out folder, or pass --force to replace it.',
    });
  }
  const empty = (await readdir(target)).length === 0;
  if (!empty && !(options.isOurs && (await options.isOurs(target)))) {
    throw new CaplabError('output-not-ours', `${target} is not a ${noun} caplab made, so --force will not replace it.`, {
      hint: 'Choose another --out, or remove or rename that folder yourself if you mean to lose what is in it.',
    });
  }
}

/**
 * Builds a folder in a temporary sibling and renames it into place only when `build` resolves,
 * so a crash or a thrown error leaves no half-written folder at `target`. One writer at a time:
 * it holds `target`'s lock while it works, and sweeps temp folders earlier writers left behind.
 */
export async function writeDirAtomic<T>(
  target: string,
  build: (tmpDir: string) => Promise<T>,
  options: AtomicDirOptions = {},
): Promise<T> {
  const noun = options.noun ?? 'output folder';
  await checkOutputTarget(target, options);
  await makeParents(target, noun);
  const lock = await acquireLock(target, { what: options.what, onMessage: options.onMessage });
  try {
    for (const s of await sweepStaleTempDirs(target, { lockHeld: true })) options.onMessage?.(`removed stale temp folder ${s.path} (${s.why})`);
    // Again under the lock: another writer may have finished the same folder meanwhile.
    await checkOutputTarget(target, options);
    const tmp = await makeTempDir(target);
    try {
      const result = await build(tmp.path);
      if (await exists(target)) {
        await checkOutputTarget(target, options);
        // Swap through a name the sweep recognises, so a crash mid-swap leaves nothing unowned.
        const old = `${tmp.path}.old`;
        await rename(target, old);
        await rename(tmp.path, target);
        await rm(old, { recursive: true, force: true });
      } else {
        await rename(tmp.path, target);
      }
      tmp.release();
      return result;
    } catch (e) {
      await tmp.remove();
      throw e;
    }
  } finally {
    lock.release();
  }
}
