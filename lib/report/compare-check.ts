/**
 * The comparison's refusal: results of different data, configuration or code are never put in
 * one table. Each check names the field that differs and the value each result has.
 */
import { basename } from 'node:path';
import { CaplabError } from '../errors.ts';
import type { Provenance } from '../provenance.ts';
import { canonicalJson } from '../util/canonical.ts';
import type { ExperimentMeta } from '../search/store.ts';
import type { TrialRecord } from '../search/types.ts';
import type { ProbeReport } from '../memory/probe.ts';
import type { StoredTrainResult } from './stored-train.ts';

/** One value of a field, and the result it came from. */
export interface FieldValue {
  path: string;
  value: string;
}

/** Throws 'mixed-results' when the values differ, naming the field and each result's value. */
export function mustAgree(field: string, values: FieldValue[], hint?: string): void {
  const distinct = [...new Set(values.map((v) => v.value))];
  if (distinct.length <= 1) return;
  const shown = distinct.map((d) => `${d} (${values.filter((v) => v.value === d).map((v) => short(v.path)).join(', ')})`);
  throw new CaplabError('mixed-results', `Cannot compare these results: their ${field} differs: ${shown.join(' vs ')}.`, {
    hint: hint ?? `Compare runs made with the same ${field}: rerun the odd one out, or pass only results that match.`,
  });
}

function short(path: string): string {
  return basename(path) || path;
}

/** The fields one run's records must share: one executor, one place, one code version, one backend. */
export function checkOneRun(path: string, provenances: Provenance[]): void {
  const at = (v: (p: Provenance) => unknown) => provenances.map((p) => ({ path, value: String(v(p) ?? 'unknown') }));
  const hint = `${short(path)} holds trials from different runs (resumed elsewhere?): rerun it with --force.`;
  mustAgree(`executor within ${short(path)}`, at((p) => p.executor), hint);
  if (provenances[0]?.executor === 'kubernetes') {
    mustAgree(`cluster context within ${short(path)}`, at((p) => p.cluster?.context), hint);
  } else {
    mustAgree(`host within ${short(path)}`, at((p) => p.host), hint);
  }
  mustAgree(`caplab version within ${short(path)}`, at((p) => p.versions?.caplab), hint);
}

export interface SearchInput {
  path: string;
  experiment: ExperimentMeta;
  records: TrialRecord[];
}

/**
 * Search runs compare only when they ran the same trials on the same data with the same code:
 * dataset checksum, search space, early-stop rule, caplab version and backend must agree, and
 * local runs must come from one machine (host, cores, memory).
 */
export function checkSearchRuns(runs: SearchInput[]): void {
  for (const r of runs) {
    if (r.records.length === 0) {
      throw new CaplabError('incomplete-result', `${r.path} has no finished trials.`, { hint: `Run the search again: caplab search --resume --out ${r.path} …` });
    }
    checkOneRun(r.path, r.records.map((t) => t.provenance));
    const done = new Set(r.records.map((t) => t.trialId));
    const missing = r.experiment.trials.filter((t) => !done.has(t.id)).length;
    if (missing > 0) {
      throw new CaplabError('incomplete-result', `${r.path} has results for ${done.size} of its ${r.experiment.trials.length} trials: its wall time would not be the same work.`, {
        hint: `Finish it first: caplab search --resume --out ${r.path} (with the same --space, --data and --epochs).`,
      });
    }
  }
  const each = (v: (r: SearchInput) => unknown) => runs.map((r) => ({ path: r.path, value: typeof v(r) === 'string' ? (v(r) as string) : canonicalJson(v(r)) }));
  mustAgree('dataset checksum', each((r) => r.experiment.data.checksum), 'Run every search on the same dataset (same generator seed, size and split).');
  mustAgree('search space', each((r) => r.experiment.space), 'Run every search with the same --space, --epochs and --trials.');
  mustAgree('early-stop setting', each((r) => r.experiment.earlyStop));
  mustAgree('caplab version', each((r) => r.records[0].provenance.versions?.caplab ?? 'unknown'));
  mustAgree('training backend', each((r) => r.records.find((t) => t.backend)?.backend ?? r.records[0].provenance.backend ?? 'unknown'), 'Run every search with the same --backend.');
  const local = runs.filter((r) => r.records[0].provenance.executor !== 'kubernetes');
  const lp = (v: (p: Provenance) => unknown) => local.map((r) => ({ path: r.path, value: String(v(r.records[0].provenance)) }));
  const sameMachine = 'Local runs compare only on one machine: run the sequential and pool searches on the same host.';
  mustAgree('host', lp((p) => p.host), sameMachine);
  mustAgree('core count', lp((p) => p.cores), sameMachine);
  mustAgree('memory size', lp((p) => p.totalMemoryBytes), sameMachine);
}

/** The size of the base (1×) market a result's data was made from: "100 tickers × 1260 days". */
function baseSize(source: StoredTrainResult['data']['source']): string {
  const tickers = source.baseTickers ?? (source.scale ? Math.round(source.tickers / source.scale) : source.tickers);
  return `${tickers} tickers × ${source.days} days`;
}

/** The base market in full: "synthetic 100 tickers × 1260 days, seed 42". */
function baseMarket(source: StoredTrainResult['data']['source']): string {
  return `${source.type} ${baseSize(source)}${source.seed !== undefined ? `, seed ${source.seed}` : ''}`;
}

/**
 * The scale comparison reads at most one probe report and training results of one base market,
 * one model config (epochs aside), one backend and one caplab version.
 */
export function checkScaleInputs(probes: Array<{ path: string; report: ProbeReport }>, trains: Array<{ path: string; result: StoredTrainResult }>): void {
  if (probes.length > 1) {
    throw new CaplabError('mixed-results', `Cannot compare ${probes.length} probe reports at once (${probes.map((p) => short(p.path)).join(', ')}).`, {
      hint: 'Pass one probe report per comparison.',
    });
  }
  const probe = probes[0];
  const base = [
    ...(probe ? [{ path: probe.path, value: `${probe.report.tickers} tickers × ${probe.report.days} days` }] : []),
    ...trains.map((t) => ({ path: t.path, value: baseSize(t.result.data.source) })),
  ];
  mustAgree('base market size', base, 'Make the probe and the training runs with the same preset (tickers and days).');
  const each = (v: (t: StoredTrainResult) => unknown) => trains.map((t) => ({ path: t.path, value: typeof v(t.result) === 'string' ? (v(t.result) as string) : canonicalJson(v(t.result)) }));
  mustAgree('data source', each((t) => baseMarket(t.data.source)));
  const { epochs: _e, ...rest } = trains[0]?.result.config ?? ({} as StoredTrainResult['config']);
  for (const field of Object.keys(rest) as Array<keyof StoredTrainResult['config']>) {
    mustAgree(`model config field ${field}`, each((t) => t.config[field]), 'Train every way with the same model config (epochs may differ).');
  }
  mustAgree('training backend', each((t) => t.backend), 'Train every way with the same --backend.');
  mustAgree('caplab version', [
    ...(probe ? [{ path: probe.path, value: probe.report.provenance.versions?.caplab ?? 'unknown' }] : []),
    ...each((t) => t.provenance.versions?.caplab ?? 'unknown'),
  ]);
}
