/**
 * The scale comparison, from a stored probe report and stored training results: the largest
 * scale that ran in memory here, the scale that failed and why, and each way of training it
 * (in memory, streamed from disk, data-parallel on a cluster) with its rows/s. A way with no
 * stored result says "not run"; nothing stands in for it.
 */
import type { ProbeReport, ProbeRun } from '../memory/probe.ts';
import { failedProbeRun } from '../memory/summary.ts';
import { checkScaleInputs } from './compare-check.ts';
import { placeOf, type RunPlace } from './compare-place.ts';
import type { Projection } from './compare-parallel.ts';
import type { StoredTrainResult, TrainWay } from './stored-train.ts';

export interface ScaleWay {
  way: TrainWay;
  /** 'measured' when a stored result exists; otherwise 'not run'. */
  status: 'measured' | 'not run';
  path?: string;
  scale?: number;
  rows?: number;
  rowsPerSecond?: number;
  seconds?: number;
  /** Processes or pods that held the data. */
  pods?: number;
  /** Largest peak memory of one process or pod, and the limit it ran under. */
  peakBytes?: number | null;
  limitBytes?: number | null;
  place?: RunPlace;
}

export interface ScaleComparison {
  probePath: string | null;
  budgetBytes: number | null;
  budgetSource: string | null;
  /** True when the budget was set by hand (a stand-in for a smaller machine), not read from this machine. */
  standInBudget: boolean;
  /** Where the probe ran. */
  probePlace: RunPlace | null;
  largestInMemory: { scale: number; rows: number | null; peakBytes: number | null } | null;
  failed: { scale: number; outcome: string; oom?: string; reason?: string; peakBytes: number | null; rows: number | null } | null;
  ways: ScaleWay[];
  projections: Projection[];
}

function scaleOf(r: StoredTrainResult): number {
  return r.data.source.scale ?? 1;
}

function wayOf(path: string, r: StoredTrainResult): ScaleWay {
  const place = placeOf(r.ranks?.length && r.provenance.cluster ? r.ranks.map((k) => ({ ...r.provenance, cluster: { ...r.provenance.cluster!, node: k.node } })) : [r.provenance]);
  const peaks = (r.ranks ?? []).map((k) => k.peakBytes).filter((b): b is number => typeof b === 'number');
  const limits = (r.ranks ?? []).map((k) => k.limitBytes).filter((b): b is number => typeof b === 'number');
  return {
    way: r.way,
    status: 'measured',
    path,
    scale: scaleOf(r),
    rows: r.rows,
    rowsPerSecond: r.rowsPerSecond,
    seconds: r.seconds,
    pods: r.ranks?.length ?? 1,
    peakBytes: peaks.length ? Math.max(...peaks) : (r.peakBytes ?? null),
    limitBytes: limits.length ? Math.max(...limits) : (r.limitBytes ?? null),
    place,
  };
}

/** Compares the ways of training at scale; throws 'mixed-results' naming the field when inputs differ. */
export function compareScale(probes: Array<{ path: string; report: ProbeReport }>, trains: Array<{ path: string; result: StoredTrainResult }>): ScaleComparison {
  checkScaleInputs(probes, trains);
  const probe = probes[0];
  const report = probe?.report;
  const ok = (report?.runs ?? []).filter((r) => r.outcome === 'ok');
  const best = ok.length ? ok.reduce((a, b) => (b.scale > a.scale ? b : a)) : null;
  const fail: ProbeRun | undefined = report ? failedProbeRun(report) : undefined;
  const ways: ScaleWay[] = [];
  for (const way of ['in-memory', 'streamed', 'data-parallel'] as const) {
    // Of several results of one way, the largest scale is the one the story is about.
    const mine = trains.filter((t) => t.result.way === way).sort((a, b) => scaleOf(b.result) - scaleOf(a.result));
    ways.push(mine.length ? wayOf(mine[0].path, mine[0].result) : { way, status: 'not run' });
  }
  const projections: Projection[] = [];
  const plan = fail && report?.plan.find((p) => p.scale === fail.scale);
  if (plan) {
    projections.push({
      topic: 'scale',
      label: `pods to train ${fail!.scale}× (the scale that failed here)`,
      value: plan.text,
      basis: "the probe's fit of memory against rows over the scales that ran, each pod's share plus its headroom (a prediction, not a run)",
    });
  }
  return {
    probePath: probe?.path ?? null,
    budgetBytes: report?.budgetBytes ?? null,
    budgetSource: report?.budgetSource ?? null,
    standInBudget: report ? /^budget\b|--budget/.test(report.budgetSource) : false,
    probePlace: report ? placeOf([report.provenance]) : null,
    largestInMemory: best ? { scale: best.scale, rows: best.rows, peakBytes: best.peakBytes } : null,
    failed: fail ? { scale: fail.scale, outcome: fail.outcome, ...(fail.oom ? { oom: fail.oom } : {}), ...(fail.reason ? { reason: fail.reason } : {}), peakBytes: fail.peakBytes, rows: fail.rows } : null,
    ways,
    projections,
  };
}
