/** Output paths whose parent folders turn out to be files: one clear error instead of ENOTDIR. */
import { statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { CaplabError } from '../errors.ts';

/** The error for an output path whose parent is a file (mkdir's ENOTDIR / EEXIST). */
export function underFile(target: string, noun: string, cause: unknown): CaplabError {
  let p = resolve(target);
  let file = p;
  while (dirname(p) !== p) {
    p = dirname(p);
    try {
      if (!statSync(p).isDirectory()) file = p;
    } catch {
      // Missing parts are made by mkdir; only an existing non-folder is in the way.
    }
  }
  return new CaplabError('output-not-ours', `Cannot make the ${noun} ${target}: ${file === resolve(target) ? 'a part of that path' : file} is a file, not a folder.`, {
    hint: 'Choose an --out whose parent folders are folders.',
    cause,
  });
}

/** mkdir -p that turns "a parent is a file" into a CaplabError. */
export async function makeParents(target: string, noun: string): Promise<void> {
  try {
    await mkdir(dirname(resolve(target)), { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR' || code === 'EEXIST') throw underFile(target, noun, e);
    throw e;
  }
}
