/** Figures for the memory probe: where memory goes as data grows, and where this machine stops. */
import type { ProbeReport, ProbeRun } from '../memory/probe.ts';
import { predictMemory } from '../memory/fit.ts';
import { figure, type Figure } from './figure.ts';

export interface MemoryFigureOptions {
  /** Default "Peak memory by data size". */
  title?: string;
  /** Logarithmic memory axis. Default false (rows are always on a log axis). */
  logY?: boolean;
}

const COLORS = { ok: '#1f77b4', fail: '#d62728', skipped: '#7f7f7f', budget: '#d62728', fit: '#2ca02c', raw: '#9467bd' };

function outcomeText(r: ProbeRun): string {
  return r.outcome === 'oom' ? `oom (${r.oom})` : r.outcome;
}

/** Log-spaced row counts from `lo` to `hi`, for drawing straight lines on a log axis. */
function logSpace(lo: number, hi: number, n = 40): number[] {
  if (!(lo > 0) || !(hi > lo)) return [lo, hi].filter((v) => v > 0);
  const a = Math.log10(lo);
  const b = Math.log10(hi);
  return Array.from({ length: n }, (_, i) => 10 ** (a + ((b - a) * i) / (n - 1)));
}

/**
 * Peak memory against rows held, one point per probed scale: ok runs joined by a line, failures
 * marked (✕ at the peak where they were killed or died), skipped scales at their predicted memory,
 * with the budget, the fitted line (fixed + perRow × rows) and the raw float32 floor.
 */
export function memoryProbeFigure(report: ProbeReport, options: MemoryFigureOptions = {}): Figure {
  const runs = report.runs.filter((r) => r.rows !== null);
  const maxBytes = Math.max(report.budgetBytes, ...runs.map((r) => r.peakBytes ?? 0), ...runs.map((r) => (report.fit ? predictMemory(report.fit, r.rows as number) : 0)));
  const [unit, div] = maxBytes >= 2 * 1024 ** 3 ? ['GiB', 1024 ** 3] : ['MiB', 1024 ** 2];
  const y = (bytes: number) => Number((bytes / div).toPrecision(5));
  const label = (r: ProbeRun) => `${r.scale}×`;
  const ok = runs.filter((r) => r.outcome === 'ok');
  const failed = runs.filter((r) => r.outcome !== 'ok' && r.outcome !== 'skipped' && r.peakBytes);
  const skipped = runs.filter((r) => r.outcome === 'skipped' || (r.outcome !== 'ok' && !r.peakBytes));
  const rows = runs.map((r) => r.rows as number);
  const xs = logSpace(Math.min(...rows), Math.max(...rows));
  const data: Figure['data'] = [];
  data.push({
    type: 'scatter', mode: 'lines+markers+text', name: 'peak memory (ok)',
    x: ok.map((r) => r.rows), y: ok.map((r) => y(r.peakBytes ?? 0)), text: ok.map(label), textposition: 'top left',
    marker: { color: COLORS.ok, size: 9 }, line: { color: COLORS.ok },
  });
  if (failed.length) {
    data.push({
      type: 'scatter', mode: 'markers+text', name: 'failed (at its peak)',
      x: failed.map((r) => r.rows), y: failed.map((r) => y(r.peakBytes as number)),
      text: failed.map((r) => `${label(r)} ${outcomeText(r)}`), textposition: 'bottom right',
      marker: { color: COLORS.fail, size: 13, symbol: 'x' },
    });
  }
  if (skipped.length && report.fit) {
    const fit = report.fit;
    data.push({
      type: 'scatter', mode: 'markers+text', name: 'not run (predicted)',
      x: skipped.map((r) => r.rows), y: skipped.map((r) => y(predictMemory(fit, r.rows as number))),
      text: skipped.map((r) => `${label(r)} ${r.outcome}`), textposition: 'top left',
      marker: { color: COLORS.skipped, size: 10, symbol: 'circle-open' },
    });
  }
  if (xs.length) {
    data.push({
      type: 'scatter', mode: 'lines', name: `budget ${Number((report.budgetBytes / div).toPrecision(3))} ${unit}`,
      x: [xs[0], xs[xs.length - 1]], y: [y(report.budgetBytes), y(report.budgetBytes)],
      line: { color: COLORS.budget, dash: 'dash', width: 2 },
    });
  }
  if (report.fit && xs.length) {
    const fit = report.fit;
    data.push({
      type: 'scatter', mode: 'lines', name: `fit: ${Number((fit.fixedBytes / div).toPrecision(3))} ${unit} + ${fit.perRowBytes.toFixed(0)} B/row`,
      x: xs, y: xs.map((r) => y(predictMemory(fit, r))), line: { color: COLORS.fit, dash: 'dot' },
    });
    data.push({
      type: 'scatter', mode: 'lines', name: `raw float32 floor: ${fit.rawBytesPerRow} B/row`,
      x: xs, y: xs.map((r) => y(fit.rawBytesPerRow * r)), line: { color: COLORS.raw, dash: 'dashdot' },
    });
  }
  return figure(data, {
    title: { text: options.title ?? 'Peak memory by data size' },
    xaxis: { title: { text: 'rows held in memory (log scale)' }, type: 'log' },
    yaxis: { title: { text: `peak resident memory (${unit})` }, type: options.logY ? 'log' : 'linear', rangemode: 'tozero' },
    legend: { orientation: 'h', y: -0.25 },
    height: 440,
  });
}
