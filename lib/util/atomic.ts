import { mkdtemp, rename, rm, writeFile, open, mkdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CaplabError } from '../errors.ts';

/** Writes a file so readers see the old content or the new, never a half-written one. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
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
  /** Replace an existing folder at `target`. Default false: an existing folder is an error. */
  force?: boolean;
}

/**
 * Builds a folder in a temporary sibling and renames it into place only when `build` resolves,
 * so a crash or a thrown error leaves no half-written folder at `target`.
 */
export async function writeDirAtomic<T>(
  target: string,
  build: (tmpDir: string) => Promise<T>,
  options: AtomicDirOptions = {},
): Promise<T> {
  if (await exists(target)) {
    if (!options.force) {
      throw new CaplabError('output-exists', `Output folder ${target} already exists.`, {
        hint: 'Choose another --out folder, or pass --force to replace it.',
      });
    }
  }
  await mkdir(dirname(target), { recursive: true });
  const tmp = await mkdtemp(join(dirname(target), `.${basename(target)}.tmp-`));
  try {
    const result = await build(tmp);
    if (await exists(target)) {
      // Another process finished the same folder while we built ours: without --force, theirs
      // stands (swapping would leave readers a moment with no folder at all).
      if (!options.force) {
        throw new CaplabError('output-exists', `Output folder ${target} appeared while it was being written.`, {
          hint: 'Another process wrote it first; use that one, or pass --force to replace it.',
        });
      }
      const old = `${tmp}.old`;
      await rename(target, old);
      await rename(tmp, target);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(tmp, target);
    }
    return result;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
