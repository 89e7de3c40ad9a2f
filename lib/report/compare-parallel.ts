/**
 * Sequential vs pool vs cluster for the same trials, from stored trial records only: wall time,
 * speedup over the sequential run, parallel efficiency, per-trial overhead and where each trial
 * ran. Plus a projection (labelled, kept apart) of the search on a cluster with a free node per
 * trial, from the measured per-trial times.
 */
import type { TrialRecord } from '../search/types.ts';
import { checkSearchRuns, type SearchInput } from './compare-check.ts';
import { placeOf, type RunPlace } from './compare-place.ts';

export interface ParallelRow {
  path: string;
  /** The executor: sequential, pool or kubernetes. */
  run: string;
  place: RunPlace;
  trials: number;
  ok: number;
  failed: number;
  stopped: number;
  /** Most trials running at once, from the stored start and end times. */
  concurrency: number;
  /** Distinct workers (process slots or pods) that ran trials. */
  workers: number;
  /** First trial's start to the last trial's end. */
  wallSeconds: number;
  /** Sequential wall time ÷ this run's; null without a sequential run. */
  speedup: number | null;
  /** Speedup ÷ concurrency. */
  efficiency: number | null;
  /** Sum of the trials' own wall times, and of their training time inside the worker. */
  trialSeconds: number;
  trainSeconds: number;
  /** Mean of (trial wall − training time): process start, loading tfjs and data, reporting. */
  overheadPerTrial: number | null;
  /** Where the trials ran: workers or nodes, with counts ("pool-0 ×9, pool-1 ×9"). */
  ranOn: string;
}

/** A figure that was not measured: its own label, never in a measurement column. */
export interface Projection {
  topic: 'parallelism' | 'scale';
  /** What is projected, e.g. "18 trials on a cluster with 18 free nodes". */
  label: string;
  /** The projected figure in words, e.g. "61.2 s, 5.3× the sequential run". */
  value: string;
  /** What it rests on, in words (measured inputs and stated assumptions). */
  basis: string;
  /** Parallelism projections: the projected wall time and speedup over the sequential run. */
  wallSeconds?: number;
  speedup?: number | null;
}

export interface ParallelComparison {
  trials: number;
  /** Path of the sequential run the speedups are over, or null. */
  baseline: string | null;
  rows: ParallelRow[];
  projections: Projection[];
  notes: string[];
}

export interface ParallelOptions {
  /** Pods the projected cluster runs at once. Default: one per trial. */
  projectPods?: number;
  /** Assumed seconds from creating a pod to its worker starting (scheduling, image present, container start). Default 10. */
  podStartSeconds?: number;
}

export const parallelDefaults = { podStartSeconds: 10 };

const ms = (iso: string) => Date.parse(iso);

/** Most intervals open at once (an interval ending when another starts does not overlap it). */
export function maxConcurrency(records: Array<Pick<TrialRecord, 'startedAt' | 'finishedAt'>>): number {
  const events = records.flatMap((r) => [
    { t: ms(r.startedAt), d: 1 },
    { t: ms(r.finishedAt), d: -1 },
  ]);
  events.sort((a, b) => a.t - b.t || a.d - b.d);
  let open = 0;
  let most = 0;
  for (const e of events) {
    open += e.d;
    most = Math.max(most, open);
  }
  return most;
}

/** First start to last end, in seconds. */
export function wallSecondsOf(records: Array<Pick<TrialRecord, 'startedAt' | 'finishedAt'>>): number {
  if (records.length === 0) return 0;
  const start = Math.min(...records.map((r) => ms(r.startedAt)));
  const end = Math.max(...records.map((r) => ms(r.finishedAt)));
  return (end - start) / 1000;
}

/** Longest-first list scheduling of task times onto `slots` parallel slots: the makespan. */
export function makespan(seconds: number[], slots: number): number {
  const loads = new Array(Math.max(1, slots)).fill(0);
  for (const s of [...seconds].sort((a, b) => b - a)) {
    let i = 0;
    for (let j = 1; j < loads.length; j++) if (loads[j] < loads[i]) i = j;
    loads[i] += s;
  }
  return Math.max(...loads);
}

function ranOn(records: TrialRecord[], place: RunPlace): string {
  const key = (r: TrialRecord) => (place.kind === 'local' ? r.worker : r.provenance.cluster?.node ?? r.provenance.host);
  const counts = new Map<string, number>();
  for (const r of records) counts.set(key(r), (counts.get(key(r)) ?? 0) + 1);
  const parts = [...counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ×${n}`);
  const what = place.kind === 'local' ? 'workers' : 'nodes';
  return parts.length > 6 ? `${parts.length} ${what}: ${parts.slice(0, 5).join(', ')}, …` : parts.join(', ');
}

function rowOf(run: SearchInput): Omit<ParallelRow, 'speedup' | 'efficiency'> {
  const records = run.records;
  const place = placeOf(records.map((r) => r.provenance));
  const trained = records.filter((r) => typeof r.trainSeconds === 'number');
  const count = (s: string) => records.filter((r) => r.status === s).length;
  return {
    path: run.path,
    run: place.executor,
    place,
    trials: records.length,
    ok: count('ok'),
    failed: count('failed'),
    stopped: count('stopped'),
    concurrency: maxConcurrency(records),
    workers: new Set(records.map((r) => r.worker)).size,
    wallSeconds: wallSecondsOf(records),
    trialSeconds: records.reduce((s, r) => s + r.seconds, 0),
    trainSeconds: trained.reduce((s, r) => s + (r.trainSeconds as number), 0),
    overheadPerTrial: trained.length ? trained.reduce((s, r) => s + (r.seconds - (r.trainSeconds as number)), 0) / trained.length : null,
    ranOn: ranOn(records, place),
  };
}

/** Compares search runs of the same trials; throws 'mixed-results' naming the field when they differ. */
export function compareParallelism(runs: SearchInput[], options: ParallelOptions = {}): ParallelComparison {
  checkSearchRuns(runs);
  const o = { podStartSeconds: options.podStartSeconds ?? parallelDefaults.podStartSeconds, projectPods: options.projectPods };
  const rows0 = runs.map(rowOf);
  const seq = rows0.find((r) => r.run === 'sequential' && r.place.kind === 'local');
  const rows: ParallelRow[] = rows0.map((r) => {
    const speedup = seq ? seq.wallSeconds / r.wallSeconds : null;
    return { ...r, speedup, efficiency: speedup === null ? null : speedup / Math.max(1, r.concurrency) };
  });
  const trials = runs[0].experiment.trials.length;
  const notes = [
    'Wall time runs from the first trial\'s start to the last trial\'s end, as stored in each trial record.',
  ];
  if (rows.some((r) => r.place.kind !== 'local')) {
    notes.push('Pod runs: a trial\'s times are its worker\'s own (from process start in the pod); scheduling and container start-up before the first trial are not in the stored records, so cluster wall times here leave them out.');
  }
  if (!seq) notes.push('No sequential run among the results, so no speedups: pass the sequential experiment too.');

  const projections: Projection[] = [];
  const basisRun = seq ?? rows.find((r) => r.place.kind === 'local');
  if (basisRun) {
    const records = runs.find((r) => r.path === basisRun.path)!.records;
    const pods = o.projectPods ?? trials;
    const wall = o.podStartSeconds + makespan(records.map((r) => r.seconds), pods);
    const speedup = seq ? seq.wallSeconds / wall : null;
    projections.push({
      topic: 'parallelism',
      label: `${trials} trials on a cluster with ${pods} free node${pods === 1 ? '' : 's'} (one trial per pod)`,
      value: `${wall.toFixed(1)} s${speedup === null ? '' : `, ${speedup.toFixed(1)}× the sequential run`}`,
      basis: `the per-trial times measured in ${basisRun.run} on ${basisRun.place.label}, longest first onto ${pods} pods, plus an assumed pod start-up of ${o.podStartSeconds} s (not measured); nodes as fast as this machine's cores`,
      wallSeconds: wall,
      speedup,
    });
  }
  return { trials, baseline: seq?.path ?? null, rows, projections, notes };
}
