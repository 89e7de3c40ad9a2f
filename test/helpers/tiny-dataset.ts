/**
 * Tiny datasets written by the dataset writing layer real datasets go through (shards, hashes,
 * train statistics, manifest), so tests of training, probing and search need not run the market
 * generator yet read what real datasets hold. The target is a seeded linear signal in the
 * features plus noise, so a model can learn it.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allocNpy } from '../../lib/data/npy.ts';
import { MANIFEST_FILE, SPLITS, type Manifest, type Split } from '../../lib/data/manifest.ts';
import { writeShards, type ShardBuffers } from '../../lib/data/shard-writer.ts';
import { seededRng, STREAM } from '../../lib/util/random.ts';

export interface TinyDatasetOptions {
  /** Rows per split. Default { train: 240, validation: 60, test: 60 }. */
  rows?: Partial<Record<Split, number>>;
  /** Feature columns. Default 4. */
  features?: number;
  /** Rows per shard (the last shard of a split may be shorter). Default 100. */
  shardRows?: number;
  /** Default 7. */
  seed?: number;
  /** Noise standard deviation relative to the signal's. Default 0.5. */
  noise?: number;
  /** Target scale, like daily returns. Default 0.01. */
  yScale?: number;
  /**
   * Keep the train statistics in the manifest, as every dataset caplab writes does. Default true;
   * false gives a manifest like those written before it carried them.
   */
  stats?: boolean;
}

/** Writes a tiny dataset at `dir` (absent or empty) and returns its manifest. */
export async function writeTinyDataset(dir: string, options: TinyDatasetOptions = {}): Promise<Manifest> {
  const rows = { train: 240, validation: 60, test: 60, ...options.rows };
  const width = options.features ?? 4;
  const shardRows = options.shardRows ?? 100;
  const seed = options.seed ?? 7;
  const noise = options.noise ?? 0.5;
  const yScale = options.yScale ?? 0.01;
  const r = seededRng(seed, STREAM.ticker, 0);
  const weights = Array.from({ length: width }, () => r.normal());
  const shards: ShardBuffers[] = [];
  for (const split of SPLITS) {
    for (let start = 0, index = 0; start < rows[split]; start += shardRows, index++) {
      const n = Math.min(shardRows, rows[split] - start);
      const x = allocNpy('<f4', [n, width]);
      const y = allocNpy('<f4', [n]);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let k = 0; k < width; k++) {
          // Features on different scales and offsets, so standardization matters.
          const v = r.normal() * (k + 1) + k;
          x.data[i * width + k] = v;
          s += weights[k] * (v - k) / (k + 1);
        }
        y.data[i] = (s / Math.sqrt(width) + noise * r.normal()) * yScale;
      }
      shards.push({ split, name: `${split}-${String(index).padStart(4, '0')}`, rows: n, x, y });
    }
  }
  async function* groups() {
    yield shards;
  }
  const manifest = await writeShards({
    out: dir,
    force: true,
    features: Array.from({ length: width }, (_, k) => `f${k}`),
    target: 'next_return',
    groups: groups(),
    shardCount: shards.length,
    what: 'test/helpers/tiny-dataset',
    manifest: {
      source: { type: 'synthetic', seed, scale: 1, tickers: 1, days: rows.train + rows.validation + rows.test },
      split: { firstDate: '2020-01-01', validationStart: '2021-01-01', testStart: '2021-07-01', lastDate: '2021-12-31' },
      generator: { name: 'test/helpers/tiny-dataset', version: '2' },
    },
  });
  if (options.stats !== false) return manifest;
  const { stats: _, ...withoutStats } = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as Manifest;
  await writeFile(join(dir, MANIFEST_FILE), JSON.stringify(withoutStats, null, 1) + '\n');
  return withoutStats;
}

/** A temp folder holding a tiny dataset; call `cleanup()` when done. */
export async function tinyDataset(options: TinyDatasetOptions = {}): Promise<{ dir: string; manifest: Manifest; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'caplab-tiny-'));
  const manifest = await writeTinyDataset(dir, options);
  return { dir, manifest, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
