/** The probe's datasets: one folder per scale, generated on first use and reused after. */
import { CaplabError, isCaplabError } from '../errors.ts';
import * as dataApi from '../data/index.ts';
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

type GenerateFn = (o: { out: string; scale: number; tickers?: number; days?: number; seed?: number; onProgress?: ProgressHook }) => Promise<{ manifest: Manifest }>;

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
  // Looked up at run time: the generator lives in lib/data and is optional for callers that pass `prepare`.
  const generate = (dataApi as unknown as { generateDataset?: GenerateFn }).generateDataset;
  if (!generate) throw new CaplabError('not-built', 'generateDataset is not available in this build.');
  o.onProgress?.({ kind: 'message', text: `generating ${o.scale}× dataset in ${o.dir}` });
  const r = await generate({ out: o.dir, scale: o.scale, tickers: o.tickers, days: o.days, seed: o.seed, onProgress: o.onProgress });
  return describe(o.dir, r.manifest, true);
}
