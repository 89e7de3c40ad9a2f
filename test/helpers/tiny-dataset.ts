/**
 * Tiny datasets in the real on-disk format (manifest.json + .npy shards), written directly
 * with writeNpy so tests of training, probing and search need not run the market generator.
 * The target is a seeded linear signal in the features plus noise, so a model can learn it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy } from '../../lib/data/npy.ts';
import { MANIFEST_FILE, SCHEMA_VERSION, SPLITS, type Manifest, type Shard, type Split } from '../../lib/data/manifest.ts';

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
}

function lcg(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function gaussian(u: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** Writes a tiny dataset into `dir` (which must exist) and returns its manifest. */
export async function writeTinyDataset(dir: string, options: TinyDatasetOptions = {}): Promise<Manifest> {
  const rows = { train: 240, validation: 60, test: 60, ...options.rows };
  const width = options.features ?? 4;
  const shardRows = options.shardRows ?? 100;
  const seed = options.seed ?? 7;
  const noise = options.noise ?? 0.5;
  const yScale = options.yScale ?? 0.01;
  const u = lcg(seed);
  const weights = Array.from({ length: width }, () => gaussian(u));
  const features = Array.from({ length: width }, (_, k) => `f${k}`);
  const shards: Shard[] = [];
  let bytes = 0;
  for (const split of SPLITS) {
    for (let start = 0, index = 0; start < rows[split]; start += shardRows, index++) {
      const n = Math.min(shardRows, rows[split] - start);
      const x = new Float32Array(n * width);
      const y = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let k = 0; k < width; k++) {
          // Features on different scales and offsets, so standardization matters.
          const v = gaussian(u) * (k + 1) + k;
          x[i * width + k] = v;
          s += weights[k] * (v - k) / (k + 1);
        }
        y[i] = (s / Math.sqrt(width) + noise * gaussian(u)) * yScale;
      }
      const base = `${split}-${String(index).padStart(4, '0')}`;
      const fx = await writeNpy(join(dir, `${base}-x.npy`), x, [n, width]);
      const fy = await writeNpy(join(dir, `${base}-y.npy`), y, [n]);
      bytes += fx.bytes + fy.bytes;
      shards.push({
        split,
        rows: n,
        x: { file: `${base}-x.npy`, sha256: fx.sha256, bytes: fx.bytes },
        y: { file: `${base}-y.npy`, sha256: fy.sha256, bytes: fy.bytes },
      });
    }
  }
  const manifest: Manifest = {
    schemaVersion: SCHEMA_VERSION,
    kind: 'caplab-dataset',
    source: { type: 'synthetic', seed, scale: 1, tickers: 1, days: rows.train + rows.validation + rows.test },
    features,
    target: 'next_return',
    rows: { ...rows, total: rows.train + rows.validation + rows.test },
    split: { firstDate: '2020-01-01', validationStart: '2021-01-01', testStart: '2021-07-01', lastDate: '2021-12-31' },
    shards,
    bytes,
    createdAt: '2026-01-01T00:00:00.000Z',
    generator: { name: 'test/helpers/tiny-dataset', version: '1' },
  };
  await writeFile(join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2));
  return manifest;
}

/** A temp folder holding a tiny dataset; call `cleanup()` when done. */
export async function tinyDataset(options: TinyDatasetOptions = {}): Promise<{ dir: string; manifest: Manifest; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'caplab-tiny-'));
  const manifest = await writeTinyDataset(dir, options);
  return { dir, manifest, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
