/** `datasetInfo`: what a dataset folder holds, after checking it is whole. */
import type { Manifest } from './manifest.ts';
import { verifyDataset } from './manifest.ts';

export interface DatasetInfoOptions {
  /** Recompute every shard's sha256 (reads all the data). Default true; false checks shapes and sizes only. */
  checksums?: boolean;
}

export interface DatasetInfo {
  path: string;
  source: Manifest['source'];
  rows: Manifest['rows'];
  features: number;
  featureNames: string[];
  target: string;
  split: Manifest['split'];
  shards: number;
  files: number;
  bytes: number;
  /** True when every checksum was recomputed and matched. */
  checksumsVerified: boolean;
  manifest: Manifest;
}

/**
 * Reads and verifies a dataset: every shard present, not truncated, of the shape the manifest
 * says, and (by default) with the sha256 it recorded. Throws CaplabError naming the bad file.
 */
export async function datasetInfo(dir: string, options: DatasetInfoOptions = {}): Promise<DatasetInfo> {
  const checksums = options.checksums ?? true;
  const m = await verifyDataset(dir, { checksums });
  return {
    path: dir,
    source: m.source,
    rows: m.rows,
    features: m.features.length,
    featureNames: m.features,
    target: m.target,
    split: m.split,
    shards: m.shards.length,
    files: m.shards.reduce((a, s) => a + 2 + (s.meta ? 1 : 0), 0),
    bytes: m.bytes,
    checksumsVerified: checksums,
    manifest: m,
  };
}
