/** The probe's datasets: one folder per scale, generated on first use and reused after. */
import { CaplabError, isCaplabError } from '../errors.ts';
import { generateDataset } from '../data/generate.ts';
import { readManifest, type Manifest } from '../data/manifest.ts';
import type { ProgressHook } from '../progress.ts';

export interface ProbeDataset {
  dir: string;
  /** Rows of all splits: what the probe child holds in memory. */
  rows: number;
  features: number;
  /** True when this call generated it. */
  generated?: boolean;
}

export interface EnsureProbeDatasetOptions {
  dir: string;
  scale: number;
  tickers: number;
  days: number;
  seed?: number;
  onProgress?: ProgressHook;
}

function describe(dir: string, m: Manifest, generated: boolean): ProbeDataset {
  return { dir, rows: m.rows.total, features: m.features.length, generated };
}

/** Reads the dataset at `dir`, or generates it there (with progress) when there is none. */
export async function ensureProbeDataset(o: EnsureProbeDatasetOptions): Promise<ProbeDataset> {
  try {
    const m = await readManifest(o.dir);
    if (m.source.scale !== undefined && m.source.scale !== o.scale) {
      throw new CaplabError('dataset-mismatch', `The dataset at ${o.dir} is scale ${m.source.scale}×, the probe wants ${o.scale}×.`, {
        hint: 'Delete that folder or point --data-root somewhere else.',
      });
    }
    return describe(o.dir, m, false);
  } catch (e) {
    if (!isCaplabError(e, 'dataset-missing')) throw e;
  }
  o.onProgress?.({ kind: 'message', text: `generating ${o.scale}× dataset in ${o.dir}` });
  const r = await generateDataset({ out: o.dir, scale: o.scale, tickers: o.tickers, days: o.days, seed: o.seed, onProgress: o.onProgress });
  return describe(o.dir, r.manifest, true);
}
