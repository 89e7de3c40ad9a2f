// Which compiled copy of lib/ matches the sources right now (see bin/build.js), checked at every
// start of `caplab` and of each worker process. The common case — nothing changed since the last
// check — costs a stat per source file and loads nothing but node:fs, so a start stays close to
// a bare Node start; anything else goes to bin/build.js's content hash.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The record of the last check that matched: the sources' stats and the build they name. */
export const RECORD = 'runtime-current.json';

/** lib/'s .ts files, as sorted paths relative to lib/ with '/' separators. */
export function sourceFiles(root) {
  const files = [];
  // A walk of our own: readdirSync's `recursive` option costs several times as much CPU here.
  const walk = (rel) => {
    for (const e of readdirSync(rel ? join(root, 'lib', rel) : join(root, 'lib'), { withFileTypes: true })) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) files.push(path);
    }
  };
  walk('');
  return files.sort();
}

/**
 * The sources' paths, sizes, times and inodes, one line each: it changes whenever a file is
 * written, replaced, added or removed (ctime cannot be set back by copying tools). Only a
 * shortcut: it is trusted because it was recorded beside a content key that matched.
 */
export function statSignature(root, files) {
  let sig = '';
  for (const f of files) {
    const s = statSync(join(root, 'lib', f));
    sig += `${f} ${s.size} ${s.mtimeMs} ${s.ctimeMs} ${s.ino}\n`;
  }
  return sig;
}

export const buildDir = (root, key) => join(root, 'dist', `runtime-${key}`);
export const isComplete = (dir) => {
  try {
    return statSync(join(dir, 'lib', '.complete')).isFile();
  } catch {
    return false;
  }
};

/**
 * The folder (holding lib/) of the build of the sources as they are now, or null when there is
 * none (never built, or a source changed since).
 */
export async function currentBuild(root = repoRoot) {
  let files;
  let sig;
  try {
    files = sourceFiles(root);
    sig = statSignature(root, files);
    const rec = JSON.parse(readFileSync(join(root, 'dist', RECORD), 'utf8'));
    if (rec.sig === sig && typeof rec.key === 'string' && isComplete(buildDir(root, rec.key))) return buildDir(root, rec.key);
  } catch {
    if (!files || sig === undefined) return null;
    // No record yet, or a torn one: fall through to the content key.
  }
  const { matchByContent } = await import('./build.js');
  return matchByContent(root, files, sig);
}
