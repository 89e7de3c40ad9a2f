/**
 * Figures for a hyperparameter search, from trial records (not files), so the local runs
 * (notebook 03) and the cluster run (notebook 05) draw the same pictures.
 */
import type { TrialRecord } from '../search/types.ts';
import type { ModelConfig } from '../train/config.ts';
import { figure, type Figure } from './figure.ts';

/** One search run to draw: its records and a name for the legend ("sequential", "pool (2)"). */
export interface SearchRun {
  label: string;
  records: TrialRecord[];
}

const STATUS_COLORS: Record<string, string> = { ok: '#1f77b4', stopped: '#ff7f0e', failed: '#d62728' };
const RUN_COLORS = ['#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#e377c2'];

/** A short name for a config: "h128 · lr 1e-3 · b32" (plus whatever else differs from the usual). */
export function trialLabel(config: ModelConfig): string {
  const lr = Number(config.learningRate.toPrecision(2)).toExponential().replace('e+', 'e');
  return `h${config.hidden.join('-')} · lr ${lr} · b${config.batchSize}`;
}

function runsOf(input: SearchRun[] | TrialRecord[]): SearchRun[] {
  if (input.length === 0) return [];
  return 'records' in (input[0] as object) ? (input as SearchRun[]) : [{ label: '', records: input as TrialRecord[] }];
}

const time = (iso: string) => new Date(iso).getTime();

/**
 * A Gantt chart: one lane per worker (per run), one bar per trial from its start to its end, in
 * seconds since the run's first trial started; bars coloured by status. Several runs share the
 * time axis, so a faster executor's lanes end sooner.
 */
export function searchTimelineFigure(input: SearchRun[] | TrialRecord[], options: { title?: string } = {}): Figure {
  const runs = runsOf(input);
  const bars: Record<string, { x: number[]; base: number[]; y: string[]; text: string[] }> = {};
  const lanes: string[] = [];
  for (const run of runs) {
    const records = run.records.filter((r) => r.startedAt && r.finishedAt);
    if (records.length === 0) continue;
    const t0 = Math.min(...records.map((r) => time(r.startedAt)));
    const workers = [...new Set(records.map((r) => r.worker))].sort();
    const lane = (w: string) => (run.label ? `${run.label} · ${w}` : w);
    lanes.push(...workers.map(lane));
    for (const r of records) {
      const b = (bars[r.status] ??= { x: [], base: [], y: [], text: [] });
      b.base.push((time(r.startedAt) - t0) / 1000);
      b.x.push(Math.max(0.001, (time(r.finishedAt) - time(r.startedAt)) / 1000));
      b.y.push(lane(r.worker));
      b.text.push(`${trialLabel(r.config)}<br>${r.status}${r.reason ? `: ${r.reason}` : ''}<br>${r.seconds.toFixed(2)} s`);
    }
  }
  const data = Object.entries(bars).map(([status, b]) => ({
    type: 'bar',
    orientation: 'h',
    name: status,
    x: b.x,
    base: b.base,
    y: b.y,
    hovertext: b.text,
    hoverinfo: 'text',
    marker: { color: STATUS_COLORS[status] ?? '#7f7f7f', line: { color: '#ffffff', width: 1 } },
  }));
  return figure(data, {
    title: { text: options.title ?? 'Trials over time, per worker' },
    barmode: 'overlay',
    xaxis: { title: { text: 'seconds since the first trial started' }, rangemode: 'tozero' },
    yaxis: { categoryorder: 'array', categoryarray: [...lanes].reverse(), automargin: true },
    height: Math.max(260, 80 + 28 * lanes.length),
  });
}

/**
 * Validation MSE per configuration (best first), beside the naive zero-return baseline; early-
 * stopped trials in orange (their metric is from the epochs they ran), failed ones listed by name.
 */
export function searchLossFigure(records: TrialRecord[], options: { title?: string } = {}): Figure {
  const scored = records.filter((r) => r.metrics).sort((a, b) => a.metrics!.validation.mse - b.metrics!.validation.mse);
  const labels = scored.map((r) => trialLabel(r.config));
  const data: Figure['data'] = [
    {
      type: 'bar',
      name: 'validation MSE',
      x: labels,
      y: scored.map((r) => r.metrics!.validation.mse),
      marker: { color: scored.map((r) => STATUS_COLORS[r.status] ?? '#7f7f7f') },
      hovertext: scored.map((r) => `${r.trialId} (${r.status})`),
    },
  ];
  const baseline = scored[0]?.metrics?.validation.baselines?.zero.mse;
  if (baseline !== undefined) {
    data.push({ type: 'scatter', mode: 'lines', name: 'predict zero return', x: labels, y: labels.map(() => baseline), line: { color: '#7f7f7f', dash: 'dash' } });
  }
  const failed = records.filter((r) => r.status === 'failed');
  return figure(data, {
    title: { text: options.title ?? 'Validation loss per configuration (lower is better)' },
    xaxis: { tickangle: -40, automargin: true },
    yaxis: { title: { text: 'validation MSE' } },
    ...(failed.length
      ? { annotations: [{ xref: 'paper', yref: 'paper', x: 1, y: 1.08, showarrow: false, xanchor: 'right', text: `failed: ${failed.map((r) => trialLabel(r.config)).join(', ')}` }] }
      : {}),
  });
}

/**
 * Parallel coordinates: one line per scored trial across its hyperparameters (learning rate on a
 * log10 axis) and the validation MSE, coloured by that MSE.
 */
export function searchParallelFigure(records: TrialRecord[], options: { title?: string } = {}): Figure {
  const scored = records.filter((r) => r.metrics);
  const mse = scored.map((r) => r.metrics!.validation.mse);
  const dims: Array<Record<string, unknown>> = [
    { label: 'hidden units', values: scored.map((r) => r.config.hidden.reduce((a, b) => a + b, 0)) },
    { label: 'log10 learning rate', values: scored.map((r) => Number(Math.log10(r.config.learningRate).toFixed(3))) },
    { label: 'batch size', values: scored.map((r) => r.config.batchSize) },
  ];
  for (const [key, label] of [['dropout', 'dropout'], ['epochs', 'epochs']] as const) {
    const values = scored.map((r) => r.config[key]);
    if (new Set(values).size > 1) dims.push({ label, values });
  }
  dims.push({ label: 'validation MSE', values: mse });
  return figure(
    [{ type: 'parcoords', line: { color: mse, colorscale: 'Viridis', reversescale: true, showscale: true, colorbar: { title: { text: 'val MSE' } } }, dimensions: dims }],
    { title: { text: options.title ?? 'Hyperparameters against validation loss' }, margin: { l: 70, r: 70, t: 80, b: 40 } },
  );
}

/** Validation loss per epoch, one line per trial (dashed when early-stopped). */
export function searchCurvesFigure(records: TrialRecord[], options: { title?: string; logY?: boolean } = {}): Figure {
  const data = records
    .filter((r) => r.epochs.length > 0)
    .map((r) => ({
      type: 'scatter',
      mode: r.epochs.length > 1 ? 'lines' : 'markers',
      name: trialLabel(r.config),
      x: r.epochs.map((e) => e.epoch),
      y: r.epochs.map((e) => e.valLoss),
      line: { dash: r.status === 'stopped' ? 'dash' : 'solid', width: 1.5 },
      hovertext: `${r.trialId} (${r.status})`,
    }));
  return figure(data, {
    title: { text: options.title ?? 'Validation loss per epoch, per trial' },
    xaxis: { title: { text: 'epoch' }, dtick: 1 },
    yaxis: { title: { text: 'validation loss (standardized MSE)' }, ...(options.logY ? { type: 'log' } : {}) },
    height: 420,
  });
}

/** Wall time of one search run, for speedup: e.g. `{ label: 'pool', seconds: summary.seconds, workers: summary.workers }`. */
export interface TimedRun {
  label: string;
  seconds: number;
  /** Workers that ran at once. */
  workers: number;
}

export interface SearchSpeedup {
  label: string;
  seconds: number;
  workers: number;
  /** baseline seconds ÷ this run's seconds. */
  speedup: number;
  /** The best it could be: min(workers, cores), and never more than the trial count allows. */
  ideal: number;
  /** speedup ÷ workers. */
  efficiency: number;
}

/** Measured speedups of runs over a baseline (usually the sequential run). */
export function searchSpeedups(baseline: TimedRun, runs: TimedRun[], cores: number): SearchSpeedup[] {
  return runs.map((r) => {
    const speedup = baseline.seconds / r.seconds;
    return { label: r.label, seconds: r.seconds, workers: r.workers, speedup, ideal: Math.min(r.workers, cores), efficiency: speedup / r.workers };
  });
}

/** Measured speedup over the baseline beside the ideal (the core count), one pair of bars per run. */
export function searchSpeedupFigure(baseline: TimedRun, runs: TimedRun[], cores: number, options: { title?: string } = {}): Figure {
  const s = searchSpeedups(baseline, runs, cores);
  const labels = s.map((x) => `${x.label} (${x.workers} worker${x.workers === 1 ? '' : 's'})`);
  return figure(
    [
      { type: 'bar', name: 'measured', x: labels, y: s.map((x) => Number(x.speedup.toFixed(3))), text: s.map((x) => `${x.speedup.toFixed(2)}×`), textposition: 'outside', marker: { color: RUN_COLORS[0] } },
      { type: 'bar', name: `ideal (cores: ${cores})`, x: labels, y: s.map((x) => x.ideal), text: s.map((x) => `${x.ideal}×`), textposition: 'outside', marker: { color: '#c7c7c7' } },
    ],
    {
      title: { text: options.title ?? `Speedup over ${baseline.label} (${baseline.seconds.toFixed(1)} s)` },
      barmode: 'group',
      yaxis: { title: { text: 'speedup (×)' }, rangemode: 'tozero' },
    },
  );
}

/** Rows for a table of trials (showTable), best validation MSE first. */
export function searchTable(records: TrialRecord[]): Array<Record<string, unknown>> {
  return [...records]
    .sort((a, b) => (a.metrics?.validation.mse ?? Infinity) - (b.metrics?.validation.mse ?? Infinity))
    .map((r) => ({
      trial: r.trialId,
      config: trialLabel(r.config),
      status: r.status + (r.status !== 'ok' && r.failure ? ` (${r.failure})` : ''),
      'val MSE': r.metrics?.validation.mse,
      'val R²': r.metrics?.validation.r2,
      'val direction': r.metrics?.validation.directionalAccuracy,
      epochs: r.epochs.length,
      seconds: Number(r.seconds.toFixed(2)),
      worker: r.worker,
    }));
}
