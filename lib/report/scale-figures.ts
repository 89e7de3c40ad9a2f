/**
 * Figures and tables for the scale story (notebook 06): each rank's memory against its pod's
 * limit, loss curves of runs that should agree, and the ways of training one dataset side by
 * side from their stored results.
 */
import type { StoredRank, StoredTrainResult } from './stored-train.ts';
import { placeOf } from './compare-place.ts';
import { figure, type Figure } from './figure.ts';

const MiB = 2 ** 20;

/**
 * Each rank's peak memory (bars) beside the data it held, with its pod's memory limit as a line:
 * a bar under the line ran within its pod. `place` says where it ran (e.g. "a real Kubernetes
 * control plane with 3 process nodes on this machine").
 */
export function rankMemoryFigure(ranks: StoredRank[], options: { title?: string; place?: string } = {}): Figure {
  const x = ranks.map((r) => `rank ${r.rank}${r.node ? ` · ${r.node}` : ''}`);
  const data: Figure['data'] = [
    { type: 'bar', name: 'peak memory (measured by the rank)', x, y: ranks.map((r) => (r.peakBytes ?? 0) / MiB), marker: { color: '#1f77b4' } },
    { type: 'bar', name: 'data held (its share of the rows)', x, y: ranks.map((r) => (r.bytesHeld ?? 0) / MiB), marker: { color: '#2ca02c' } },
  ];
  const limit = ranks.find((r) => r.limitBytes)?.limitBytes;
  if (limit) data.push({ type: 'scatter', mode: 'lines', name: `pod memory limit (${(limit / MiB).toFixed(0)} MiB)`, x, y: x.map(() => limit / MiB), line: { color: '#d62728', dash: 'dash' } });
  return figure(data, {
    title: { text: options.title ?? `Memory per rank${options.place ? ` — ${options.place}` : ''}` },
    barmode: 'group',
    yaxis: { title: { text: 'MiB' }, rangemode: 'tozero' },
  });
}

/** Validation loss by epoch of runs that should train the same model (e.g. K ranks at b and one process at K·b). */
export function lossCurvesFigure(runs: Array<{ label: string; epochs: Array<{ epoch: number; loss: number; valLoss: number }> }>, options: { title?: string } = {}): Figure {
  const dashes = ['solid', 'dot', 'dash', 'dashdot'];
  const data: Figure['data'] = runs.flatMap((r, i) => [
    { type: 'scatter', mode: 'lines+markers', name: `${r.label}: validation`, x: r.epochs.map((e) => e.epoch), y: r.epochs.map((e) => e.valLoss), line: { dash: dashes[i % dashes.length], color: '#ff7f0e' } },
    { type: 'scatter', mode: 'lines+markers', name: `${r.label}: train`, x: r.epochs.map((e) => e.epoch), y: r.epochs.map((e) => e.loss), line: { dash: dashes[i % dashes.length], color: '#1f77b4' } },
  ]);
  return figure(data, { title: { text: options.title ?? 'Loss by epoch' }, xaxis: { title: { text: 'epoch' }, dtick: 1 }, yaxis: { title: { text: 'MSE (standardized target)' } } });
}

/**
 * One row per way of training (in memory, streamed, data-parallel): where it ran, rows/s, seconds
 * per epoch, and the memory one machine (process or pod) needed against its limit.
 */
export function trainWaysTable(records: StoredTrainResult[]): Array<Record<string, string | number>> {
  return records.map((r) => {
    const perMachine = r.ranks?.length ? Math.max(...r.ranks.map((k) => k.peakBytes ?? 0)) : r.peakBytes ?? null;
    const limit = r.ranks?.length ? r.ranks[0].limitBytes ?? null : r.limitBytes ?? null;
    const provs = r.ranks?.length && r.rankProvenances?.length ? r.rankProvenances : [r.provenance];
    return {
      way: r.way,
      where: placeOf(provs).label,
      machines: r.ranks?.length ?? 1,
      'rows/s': Math.round(r.rowsPerSecond),
      's/epoch': r.epochs.length ? Number((r.epochs.reduce((a, e) => a + e.seconds, 0) / r.epochs.length).toFixed(3)) : '–',
      'peak MiB per machine': perMachine === null ? 'not measured' : Math.round(perMachine / MiB),
      'limit MiB': limit === null ? '–' : Math.round(limit / MiB),
      'best val loss': r.epochs.find((e) => e.epoch === r.bestEpoch)?.valLoss ?? '–',
    };
  });
}
