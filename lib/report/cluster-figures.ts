/**
 * Figures and tables for the cloud notebooks (04, 05): node capacity, a live count of trials by
 * state, and speedups whose every bar says where it was measured, so no local number passes
 * for a cluster number.
 */
import type { ClusterCheckReport, NodeCapacity } from '../cluster/check.ts';
import type { TrialRecord } from '../search/types.ts';
import { figure, type Figure } from './figure.ts';
import { contextPlaceLabel, placeKindOfContext } from './compare-place.ts';

const GiB = 1024 ** 3;

/** One row per node: name, ready, allocatable CPU (cores) and memory (GiB), roles. */
export function nodeCapacityRows(nodes: NodeCapacity[]): Array<Record<string, unknown>> {
  return nodes.map((n) => ({
    node: n.name,
    ready: n.ready ? 'yes' : 'no',
    'CPU (cores)': n.cpu,
    'memory (GiB)': Number((n.memoryBytes / GiB).toFixed(1)),
    roles: n.roles.join(', ') || '-',
  }));
}

/** Allocatable CPU and memory per node, side by side (two y axes), totals in the title. */
export function nodeCapacityFigure(nodes: NodeCapacity[], options: { title?: string } = {}): Figure {
  const names = nodes.map((n) => n.name);
  const cpu = nodes.reduce((s, n) => s + n.cpu, 0);
  const mem = nodes.reduce((s, n) => s + n.memoryBytes, 0) / GiB;
  return figure(
    [
      { type: 'bar', name: 'CPU (cores)', x: names, y: nodes.map((n) => n.cpu), offsetgroup: 'cpu', marker: { color: '#1f77b4' } },
      { type: 'bar', name: 'memory (GiB)', x: names, y: nodes.map((n) => Number((n.memoryBytes / GiB).toFixed(2))), yaxis: 'y2', offsetgroup: 'mem', marker: { color: '#2ca02c' } },
    ],
    {
      title: { text: options.title ?? `Allocatable capacity: ${nodes.length} nodes, ${round(cpu)} cores, ${round(mem)} GiB` },
      barmode: 'group',
      yaxis: { title: { text: 'CPU (cores)' }, rangemode: 'tozero' },
      yaxis2: { title: { text: 'memory (GiB)' }, overlaying: 'y', side: 'right', rangemode: 'tozero' },
      legend: { orientation: 'h', y: -0.2 },
    },
  );
}

/** The permission checks of a cluster check as rows: resource, verb, allowed, why. */
export function permissionRows(report: ClusterCheckReport): Array<Record<string, unknown>> {
  return report.permissions.map((p) => ({
    resource: p.resource,
    verb: p.verb,
    allowed: p.allowed === null ? 'unknown' : p.allowed ? 'yes' : 'NO',
    why: p.why + (p.optional ? ' (optional)' : ''),
  }));
}

/** Counts of trials by state at one moment of a run. */
export interface TrialStateSample {
  seconds: number;
  pending: number;
  running: number;
  done: number;
  failed: number;
}

/**
 * Collects samples from a search's status (runSearch's onStatus gives done/running/failed/total);
 * `pending` is what has neither started nor finished.
 */
export function trialStateSampler(): { add(s: { done: number; total: number; running: number; failed: number; elapsedSeconds: number }): TrialStateSample[]; samples: TrialStateSample[] } {
  const samples: TrialStateSample[] = [];
  return {
    samples,
    add(s) {
      const ok = Math.max(0, s.done - s.failed);
      samples.push({ seconds: s.elapsedSeconds, pending: Math.max(0, s.total - s.done - s.running), running: s.running, done: ok, failed: s.failed });
      return samples;
    },
  };
}

/** Trials pending / running / done / failed over time, stacked: the live view of a run. */
export function trialStatesFigure(samples: TrialStateSample[], options: { title?: string } = {}): Figure {
  const x = samples.map((s) => Number(s.seconds.toFixed(2)));
  const series: Array<[keyof TrialStateSample, string]> = [
    ['done', '#2ca02c'],
    ['failed', '#d62728'],
    ['running', '#1f77b4'],
    ['pending', '#c7c7c7'],
  ];
  const last = samples.at(-1);
  return figure(
    series.map(([key, color]) => ({
      type: 'scatter',
      mode: 'lines',
      stackgroup: 'trials',
      line: { shape: 'hv', width: 0.5, color },
      name: key,
      x,
      y: samples.map((s) => s[key]),
    })),
    {
      title: { text: options.title ?? (last ? `Trials: ${last.done} done, ${last.failed} failed, ${last.running} running, ${last.pending} pending` : 'Trials') },
      xaxis: { title: { text: 'seconds since the search started' } },
      yaxis: { title: { text: 'trials' }, rangemode: 'tozero' },
    },
  );
}

/** Wall time of a run from its records: first start to last finish, in seconds. */
export function recordsWallSeconds(records: TrialRecord[]): number {
  const timed = records.filter((r) => r.startedAt && r.finishedAt);
  if (timed.length === 0) return 0;
  const start = Math.min(...timed.map((r) => Date.parse(r.startedAt)));
  const end = Math.max(...timed.map((r) => Date.parse(r.finishedAt)));
  return (end - start) / 1000;
}

/** A run for the speedup chart, with where it ran spelled out. */
export interface PlacedRun {
  /** e.g. "sequential", "pool", "kubernetes". */
  label: string;
  /** e.g. "this machine, 2 cores" or "cluster kind-caplab, 18 pods on 3 nodes". */
  where: string;
  seconds: number;
  /** The most it could gain over the baseline (cores used, pods at once). */
  ideal: number;
}

/** Speedup of each run over the baseline beside its ideal, each bar labelled with where it ran. */
export function placedSpeedupFigure(baseline: PlacedRun, runs: PlacedRun[], options: { title?: string } = {}): Figure {
  const labels = runs.map((r) => `${r.label}<br>(${r.where})`);
  const speed = runs.map((r) => baseline.seconds / r.seconds);
  return figure(
    [
      { type: 'bar', name: 'measured', x: labels, y: speed.map((s) => Number(s.toFixed(3))), text: speed.map((s) => `${s.toFixed(2)}×`), textposition: 'outside', marker: { color: '#1f77b4' } },
      { type: 'bar', name: 'ideal', x: labels, y: runs.map((r) => r.ideal), text: runs.map((r) => `${r.ideal}×`), textposition: 'outside', marker: { color: '#c7c7c7' } },
    ],
    {
      title: { text: options.title ?? `Speedup over ${baseline.label} (${baseline.where}, ${baseline.seconds.toFixed(1)} s)` },
      barmode: 'group',
      yaxis: { title: { text: 'speedup (×)' }, rangemode: 'tozero' },
    },
  );
}

function round(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

/**
 * The first thing a cloud notebook says: which cluster it talks to, or plainly that there is
 * none and that nothing below is a cluster measurement.
 */
export function clusterSummaryMarkdown(report: ClusterCheckReport): string {
  if (!report.reachable) {
    const why = report.kubeconfig ? `the cluster of context \`${report.context ?? '?'}\` (${report.server ?? '?'}) does not answer` : 'no kubeconfig was found (KUBECONFIG, ~/.kube/config, in-cluster)';
    return (
      `**No cluster:** ${why}. This notebook shows what a run would apply, and nothing in it is a ` +
      `cluster measurement. To use a cluster: \`npm run deploy\`, then \`node bin/caplab.js cluster check\` (see k8s/README.md).`
    );
  }
  const cpu = report.nodes.reduce((s, n) => s + n.cpu, 0);
  const mem = report.nodes.reduce((s, n) => s + n.memoryBytes, 0) / GiB;
  const nodes = report.nodesVisible ? `${report.nodes.length} node${report.nodes.length === 1 ? '' : 's'} (${round(cpu)} cores, ${round(mem)} GiB allocatable)` : 'nodes not visible to you';
  const state = report.ok ? 'ready for caplab' : `${report.gaps.length} thing${report.gaps.length === 1 ? '' : 's'} to fix (below)`;
  // The local control plane's nodes are processes here: say so before anything reads like a cluster.
  const place = report.context && placeKindOfContext(report.context) === 'local-control-plane' ? `${contextPlaceLabel(report.context, report.nodes.length)} (not cloud hardware), ` : '';
  return `**Cluster:** ${place}context \`${report.context}\` at ${report.server}, Kubernetes ${report.serverVersion ?? '?'}, namespace \`${report.namespace}\`, ${nodes}: ${state}.`;
}
