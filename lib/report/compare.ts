/**
 * The comparison behind notebook 07 and `caplab compare`: stored results in, two comparisons
 * (scale, parallelism), a cost table and labelled projections out. Reads only what earlier
 * stages stored; refuses (CaplabError 'mixed-results', naming the field) to put runs of different
 * data, configuration or code side by side.
 *
 *   const c = await caplab.compareStored(caplab.storedResultPaths('quick'));
 *   console.log(caplab.comparisonMarkdown(c));
 */
import { CaplabError } from '../errors.ts';
import { compareParallelism, type ParallelComparison, type ParallelOptions, type Projection } from './compare-parallel.ts';
import { placeOf, type RunPlace } from './compare-place.ts';
import { readStoredResults, type StoredResult } from './compare-read.ts';
import { compareScale, type ScaleComparison } from './compare-scale.ts';
import { costTable, resolvePrices, type CostTable, type Prices } from './compare-cost.ts';

export interface CompareOptions extends ParallelOptions {
  /** Prices per vCPU-hour and GiB-hour. Default EXAMPLE_PRICES (labelled as examples). */
  prices?: Partial<Omit<Prices, 'example'>>;
}

/** One input and where it ran, for the provenance table. */
export interface InputProvenance {
  path: string;
  type: StoredResult['type'];
  what: string;
  place: RunPlace;
  createdAt: string;
  dataChecksum: string | null;
}

export interface Comparison {
  inputs: InputProvenance[];
  parallel: ParallelComparison | null;
  scale: ScaleComparison | null;
  cost: CostTable;
  /** Every projection, apart from the measurements. */
  projections: Projection[];
}

function provenanceOf(r: StoredResult): InputProvenance {
  if (r.type === 'search') {
    const place = placeOf(r.records.length ? r.records.map((t) => t.provenance) : []);
    return { path: r.path, type: r.type, what: `search (${r.experiment.trials.length} trials, ${r.experiment.space.name ?? r.experiment.space.type})`, place, createdAt: r.experiment.createdAt, dataChecksum: r.experiment.data.checksum };
  }
  if (r.type === 'probe') {
    return { path: r.path, type: r.type, what: `memory probe (scales ${r.report.runs.map((x) => `${x.scale}×`).join(', ')})`, place: placeOf([r.report.provenance]), createdAt: r.report.createdAt, dataChecksum: null };
  }
  const ranks = r.result.ranks ?? [];
  const provs = ranks.length && r.result.provenance.cluster ? ranks.map((k) => ({ ...r.result.provenance, cluster: { ...r.result.provenance.cluster!, node: k.node } })) : [r.result.provenance];
  return { path: r.path, type: r.type, what: `training, ${r.result.way} (${r.result.data.source.scale ?? 1}×)`, place: placeOf(provs), createdAt: r.result.createdAt, dataChecksum: r.result.data.checksum };
}

/** Compares results already read (see readStoredResult). */
export function compareResults(results: StoredResult[], options: CompareOptions = {}): Comparison {
  if (results.length === 0) {
    throw new CaplabError('usage', 'Nothing to compare: no stored results were given.', {
      hint: 'Run notebooks 02, 03 and 05 (or `caplab probe --out`, `caplab search --out`) first, then pass their results.',
    });
  }
  const empty = results.find((r) => r.type === 'search' && r.records.length === 0);
  if (empty) {
    throw new CaplabError('incomplete-result', `${empty.path} has no finished trials.`, { hint: `Run it: caplab search --resume --out ${empty.path} …` });
  }
  const searches = results.filter((r): r is Extract<StoredResult, { type: 'search' }> => r.type === 'search');
  const probes = results.filter((r): r is Extract<StoredResult, { type: 'probe' }> => r.type === 'probe');
  const trains = results.filter((r): r is Extract<StoredResult, { type: 'train' }> => r.type === 'train');
  const parallel = searches.length ? compareParallelism(searches, options) : null;
  const scale = probes.length || trains.length ? compareScale(probes, trains) : null;
  const cost = costTable(parallel, scale, resolvePrices(options.prices));
  return {
    inputs: results.map(provenanceOf),
    parallel,
    scale,
    cost,
    projections: [...(parallel?.projections ?? []), ...(scale?.projections ?? [])],
  };
}

/** Reads the stored results at `paths` and compares them. */
export async function compareStored(paths: string[], options: CompareOptions = {}): Promise<Comparison> {
  return compareResults(await readStoredResults(paths), options);
}
