/**
 * The example files a user copies and edits (examples/ in the repository): search spaces and a
 * large-scale training plan. Notebooks and the README use them by these names.
 */
import { join } from 'node:path';
import { repoRoot } from './paths.ts';

export const EXAMPLE_FILES = {
  /** The demo's 18-configuration grid (the same space as `--space default`). */
  grid: 'search-grid-18.yaml',
  /** 120 seeded random configurations, log-uniform learning rate. */
  random: 'search-random-120.yaml',
  /** Data-parallel training at 200× on 4 pods. */
  trainLarge: 'train-large.yaml',
} as const;

/** The path of an example file: `examplePath('search-grid-18.yaml')`. */
export function examplePath(name: string): string {
  return join(repoRoot(), 'examples', name);
}
