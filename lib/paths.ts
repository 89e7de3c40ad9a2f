/**
 * Where generated datasets and results go. Defaults are the repository's git-ignored data/ and
 * results/ folders; CAPLAB_DATA_ROOT and CAPLAB_RESULTS_ROOT move them (tests use temp folders).
 */
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (works from lib/ sources, the dist/lib build and the dist/runtime-<key>/lib one). */
export function repoRoot(): string {
  if (process.env.CAPLAB_ROOT) return process.env.CAPLAB_ROOT;
  const here = dirname(fileURLToPath(import.meta.url));
  if (here.endsWith(join('dist', 'lib'))) return resolve(here, '..', '..');
  return basename(dirname(here)).startsWith('runtime-') && basename(dirname(dirname(here))) === 'dist' ? resolve(here, '..', '..', '..') : resolve(here, '..');
}

/** A path under the data root: `dataPath('base-quick')`. */
export function dataPath(...parts: string[]): string {
  return join(process.env.CAPLAB_DATA_ROOT ?? join(repoRoot(), 'data'), ...parts);
}

/** A path under the results root: `resultsPath('search-quick-pool')`. */
export function resultsPath(...parts: string[]): string {
  return join(process.env.CAPLAB_RESULTS_ROOT ?? join(repoRoot(), 'results'), ...parts);
}
