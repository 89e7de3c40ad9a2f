/** Free space on the disk a path will be written to, checked before a large write starts. */
import { statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { CaplabError } from '../errors.ts';
import { formatBytes } from './format.ts';

/** Bytes an unprivileged writer may still use where `path` is (or would be created); undefined if unknown. */
export async function freeBytes(path: string): Promise<number | undefined> {
  let p = resolve(path);
  for (;;) {
    try {
      const s = await statfs(p);
      return s.bavail * s.bsize;
    } catch {
      const up = dirname(p);
      if (up === p) return undefined;
      p = up;
    }
  }
}

/** Room kept free besides the estimate: 5% of it, and at least 64 MiB (the manifest, logs, the rest of the system). */
export function diskMargin(bytes: number): number {
  return Math.max(64 * 2 ** 20, bytes * 0.05);
}

/**
 * Throws CaplabError 'disk-space' when writing about `bytes` at `path` would not leave the
 * margin free. `what` names the write for the message ("the dataset (1,260,000 rows)").
 */
export async function checkFreeSpace(path: string, bytes: number, what: string): Promise<void> {
  const free = await freeBytes(path);
  if (free === undefined) return;
  const need = bytes + diskMargin(bytes);
  if (need > free) {
    throw new CaplabError('disk-space', `${what} needs about ${formatBytes(bytes)} plus ${formatBytes(diskMargin(bytes))} to spare, but ${resolve(path)} has ${formatBytes(free)} free.`, {
      hint: 'Make it smaller, or write it to a disk with more room.',
    });
  }
}
