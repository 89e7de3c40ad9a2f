/**
 * Figures of notebook 07. Bars are coloured by where they were measured (this machine, the local
 * control plane, a cluster); projections are their own trace, in their own colour
 * with a hatched fill and a dashed outline, and named "projection (not measured)".
 */
import type { Comparison } from './compare.ts';
import type { PlaceKind } from './compare-place.ts';
import { placeKindLabel } from './compare-place.ts';
import { figure, type Figure } from './figure.ts';

export const PLACE_COLORS: Record<PlaceKind, string> = {
  local: '#1f77b4',
  'local-control-plane': '#17becf',
  cluster: '#2ca02c',
};
export const PROJECTION_STYLE = { color: 'rgba(255,127,14,0.25)', line: { color: '#ff7f0e', width: 2, dash: 'dash' }, pattern: { shape: '/', fgcolor: '#ff7f0e' } };
export const PROJECTION_NAME = 'projection (not measured)';

function byPlace<T extends { kind: PlaceKind }>(items: T[], build: (kind: PlaceKind, mine: T[]) => Record<string, unknown>): Figure['data'] {
  const kinds = [...new Set(items.map((i) => i.kind))];
  return kinds.map((k) => build(k, items.filter((i) => i.kind === k)));
}

/** Wall time of each search run (measured, by place) and the projected cluster run (apart). */
export function parallelComparisonFigure(c: Comparison, options: { title?: string } = {}): Figure {
  const rows = (c.parallel?.rows ?? []).map((r) => ({ kind: r.place.kind, x: `${r.run}<br>${placeKindLabel(r.place.kind)}`, y: r.wallSeconds, text: `${r.wallSeconds.toFixed(1)} s${r.speedup ? ` · ${r.speedup.toFixed(2)}×` : ''}` }));
  const data = byPlace(rows, (kind, mine) => ({
    type: 'bar',
    name: `measured on ${placeKindLabel(kind)}`,
    x: mine.map((m) => m.x),
    y: mine.map((m) => Number(m.y.toFixed(2))),
    text: mine.map((m) => m.text),
    textposition: 'outside',
    marker: { color: PLACE_COLORS[kind] },
  }));
  const proj = c.projections.filter((p) => p.topic === 'parallelism' && p.wallSeconds !== undefined);
  if (proj.length) {
    data.push({
      type: 'bar',
      name: PROJECTION_NAME,
      x: proj.map((p) => `projection<br>${p.label.replace(/ \(.*\)$/, '')}`),
      y: proj.map((p) => Number(p.wallSeconds!.toFixed(2))),
      text: proj.map((p) => p.value),
      textposition: 'outside',
      marker: PROJECTION_STYLE,
      hovertext: proj.map((p) => `Rests on: ${p.basis}`),
    });
  }
  return figure(data, {
    title: { text: options.title ?? `The same ${c.parallel?.trials ?? ''} trials: wall time by where they ran` },
    yaxis: { title: { text: 'wall time (s)' }, rangemode: 'tozero' },
    xaxis: { automargin: true },
    legend: { orientation: 'h', y: -0.25 },
    height: 420,
  });
}

/** Rows/s of each way of training at scale; a way with no stored result is a "not run" label, not a bar. */
export function scaleComparisonFigure(c: Comparison, options: { title?: string } = {}): Figure {
  const ways = c.scale?.ways ?? [];
  const measured = ways.filter((w) => w.status === 'measured').map((w) => ({ kind: w.place!.kind, x: `${w.way}<br>${w.scale}×`, y: w.rowsPerSecond ?? 0 }));
  const data = byPlace(measured, (kind, mine) => ({
    type: 'bar',
    name: `measured on ${placeKindLabel(kind)}`,
    x: mine.map((m) => m.x),
    y: mine.map((m) => Math.round(m.y)),
    text: mine.map((m) => `${Math.round(m.y).toLocaleString('en-US')} rows/s`),
    textposition: 'outside',
    marker: { color: PLACE_COLORS[kind] },
  }));
  const notRun = ways.filter((w) => w.status === 'not run');
  const annotations = notRun.map((w, i) => ({ xref: 'paper', yref: 'paper', x: 1, y: 1.02 - 0.07 * (i + 1), xanchor: 'right', showarrow: false, text: `${w.way}: not run`, font: { color: '#7f7f7f' } }));
  return figure(data, {
    title: { text: options.title ?? 'Training throughput by way of holding the data' },
    yaxis: { title: { text: 'training rows per second' }, rangemode: 'tozero' },
    annotations,
  });
}

/** Compute each run used: vCPU-hours of pods, core-hours of this machine; coloured by place. */
export function computeUsedFigure(c: Comparison, options: { title?: string } = {}): Figure {
  const rows = c.cost.rows.map((r) => ({ kind: r.place.kind, x: r.run, y: r.place.kind === 'local' ? r.machineCoreHours : r.vcpuHours }));
  const data = byPlace(rows, (kind, mine) => ({
    type: 'bar',
    name: kind === 'local' ? 'this machine: core-hours (wall × cores)' : `${placeKindLabel(kind)}: vCPU-hours of pods`,
    x: mine.map((m) => m.x),
    y: mine.map((m) => (m.y === null ? 0 : Number(m.y.toPrecision(4)))),
    marker: { color: PLACE_COLORS[kind] },
  }));
  return figure(data, {
    title: { text: options.title ?? 'Compute used per run' },
    yaxis: { title: { text: 'core- or vCPU-hours' }, rangemode: 'tozero' },
    xaxis: { automargin: true },
    legend: { orientation: 'h', y: -0.3 },
  });
}
