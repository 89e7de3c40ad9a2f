/**
 * The comparison as tables: the same rows for a notebook (showTable), Markdown and a terminal.
 * Measurements and projections are separate tables; a way that did not run says "not run".
 */
import { basename } from 'node:path';
import { formatBytes } from '../util/format.ts';
import type { Comparison } from './compare.ts';
import { WHERE_TO_SET_PRICES } from './compare-cost.ts';
import { placeKindLabel } from './compare-place.ts';

export type Cell = string | number;
export interface CompareTable {
  /** 'measured' tables hold only measurements; 'projection' tables only projections. */
  kind: 'measured' | 'projection';
  title: string;
  rows: Array<Record<string, Cell>>;
  notes: string[];
}

const NOT_RUN = 'not run';

function fixed(v: number | null | undefined, digits = 1): Cell {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : Number(v.toFixed(digits));
}

function bytes(v: number | null | undefined): string {
  return v === null || v === undefined ? '–' : formatBytes(v);
}

function money(v: number | null, currency: string): string {
  if (v === null) return '–';
  return `${v < 0.01 && v > 0 ? v.toFixed(5) : v.toFixed(2)} ${currency}`;
}

/** Every table of a comparison, in reading order. */
export function comparisonTables(c: Comparison): CompareTable[] {
  const tables: CompareTable[] = [];
  tables.push({
    kind: 'measured',
    title: 'Results compared, and where each ran',
    rows: c.inputs.map((i) => ({
      result: basename(i.path),
      what: i.what,
      where: i.place.label,
      executor: i.place.executor,
      caplab: i.place.caplabVersion,
      backend: i.place.backend ?? '–',
      created: i.createdAt.replace('T', ' ').slice(0, 16) + ' UTC',
      'data checksum': i.dataChecksum ? i.dataChecksum.slice(0, 12) : '–',
    })),
    notes: [],
  });
  const s = c.scale;
  if (s) {
    const budget = s.budgetBytes === null ? '–' : `${bytes(s.budgetBytes)}${s.standInBudget ? ' (a stand-in budget for a smaller machine)' : ` (${s.budgetSource})`}`;
    tables.push({
      kind: 'measured',
      title: `Scale: where this machine runs out (memory budget ${budget})`,
      rows: [
        s.largestInMemory
          ? { '': 'largest scale that ran in memory', scale: `${s.largestInMemory.scale}×`, rows: s.largestInMemory.rows ?? '–', 'peak memory': bytes(s.largestInMemory.peakBytes), budget: bytes(s.budgetBytes), why: 'fit' }
          : { '': 'largest scale that ran in memory', scale: 'none', rows: '–', 'peak memory': '–', budget: bytes(s.budgetBytes), why: s.probePath ? 'no probed scale ran' : 'no probe report given' },
        s.failed
          ? { '': 'scale that failed', scale: `${s.failed.scale}×`, rows: s.failed.rows ?? '–', 'peak memory': bytes(s.failed.peakBytes), budget: bytes(s.budgetBytes), why: [s.failed.outcome + (s.failed.oom ? ` (${s.failed.oom})` : ''), s.failed.reason].filter(Boolean).join(': ') }
          : { '': 'scale that failed', scale: 'none', rows: '–', 'peak memory': '–', budget: bytes(s.budgetBytes), why: 'every probed scale fit' },
      ],
      notes: s.probePlace ? [`Probe ran on ${s.probePlace.label}.`] : [],
    });
    tables.push({
      kind: 'measured',
      title: 'Scale: each way of training',
      rows: s.ways.map((w) =>
        w.status === 'not run'
          ? { way: w.way, scale: NOT_RUN, 'rows/s': NOT_RUN, seconds: NOT_RUN, 'processes or pods': NOT_RUN, 'peak per process or pod': NOT_RUN, limit: NOT_RUN, where: w.way === 'data-parallel' ? 'no cluster training result stored (notebook 06)' : 'no stored result' }
          : {
              way: w.way,
              scale: `${w.scale}×`,
              'rows/s': Math.round(w.rowsPerSecond ?? 0),
              seconds: fixed(w.seconds, 2),
              'processes or pods': w.pods ?? 1,
              'peak per process or pod': bytes(w.peakBytes),
              limit: bytes(w.limitBytes),
              where: w.place!.label,
            },
      ),
      notes: [],
    });
  }
  const p = c.parallel;
  if (p) {
    tables.push({
      kind: 'measured',
      title: `Parallelism: the same ${p.trials} trials${p.baseline ? `, speedup over ${basename(p.baseline)}` : ''}`,
      rows: p.rows.map((r) => ({
        run: r.run,
        'measured on': placeKindLabel(r.place.kind),
        where: r.place.label,
        trials: `${r.ok} ok${r.failed ? `, ${r.failed} failed` : ''}${r.stopped ? `, ${r.stopped} stopped` : ''}`,
        'at once': r.concurrency,
        'wall s': fixed(r.wallSeconds),
        speedup: r.speedup === null ? '–' : `${r.speedup.toFixed(2)}×`,
        efficiency: r.efficiency === null ? '–' : `${Math.round(r.efficiency * 100)} %`,
        'overhead per trial s': fixed(r.overheadPerTrial, 2),
        'ran on': r.ranOn,
      })),
      notes: p.notes,
    });
  }
  const pr = c.cost.prices;
  const priceText = `${pr.vcpuHour} ${pr.currency}/vCPU-hour, ${pr.gibHour} ${pr.currency}/GiB-hour`;
  if (c.cost.rows.length) {
    tables.push({
      kind: 'measured',
      title: `Cost at ${pr.example ? 'EXAMPLE prices' : 'your prices'}: ${priceText}`,
      rows: c.cost.rows.map((r) => ({
        run: r.run,
        'measured on': placeKindLabel(r.place.kind),
        'wall s': fixed(r.wallSeconds),
        'pod-seconds': fixed(r.podSeconds),
        'vCPU-hours': fixed(r.vcpuHours, 4),
        'GiB-hours': fixed(r.gibHours, 4),
        cost: r.place.kind === 'local' ? 'own machine' : money(r.cost, pr.currency),
        'machine core-hours': fixed(r.machineCoreHours, 4),
      })),
      notes: [
        pr.example ? `Example prices, not a quote: set yours with ${WHERE_TO_SET_PRICES}.` : 'Prices as you set them.',
        'Pod-seconds are measured (the sum of each pod\'s stored run time); vCPU- and GiB-hours use each pod\'s stored CPU and memory limits. Local runs show the machine time they took (wall time × cores) instead of a price.',
        ...c.cost.rows.filter((r) => r.note).map((r) => `${r.run}: ${r.note}.`),
      ],
    });
  }
  if (c.projections.length) {
    tables.push({
      kind: 'projection',
      title: 'Projections (not measured)',
      rows: c.projections.map((x) => ({ topic: x.topic, projection: x.label, value: x.value, 'rests on': x.basis })),
      notes: ['Projections are computed from the measurements above and stated assumptions; they are never shown as measurements.'],
    });
  }
  return tables;
}

function mdCell(v: Cell): string {
  return String(v).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The comparison as Markdown tables (one per section, projections last and marked as such). */
export function comparisonMarkdown(c: Comparison): string {
  const out: string[] = [];
  for (const t of comparisonTables(c)) {
    const cols = [...new Set(t.rows.flatMap((r) => Object.keys(r)))];
    out.push(`### ${t.kind === 'projection' ? '⚠ ' : ''}${t.title}`, '');
    out.push(`| ${cols.map((c) => mdCell(c || ' ')).join(' | ')} |`, `| ${cols.map(() => '---').join(' | ')} |`);
    for (const r of t.rows) out.push(`| ${cols.map((k) => mdCell(r[k] ?? '')).join(' | ')} |`);
    for (const n of t.notes) out.push('', `_${n}_`);
    out.push('');
  }
  return out.join('\n');
}

/** The comparison as aligned plain-text tables for a terminal. */
export function comparisonText(c: Comparison): string {
  const out: string[] = [];
  for (const t of comparisonTables(c)) {
    const cols = [...new Set(t.rows.flatMap((r) => Object.keys(r)))];
    const cells = [cols, ...t.rows.map((r) => cols.map((k) => String(r[k] ?? '')))];
    const width = cols.map((_, i) => Math.min(100, Math.max(...cells.map((row) => row[i].length))));
    const line = (row: string[]) => row.map((v, i) => (v.length > width[i] ? v.slice(0, width[i] - 1) + '…' : v.padEnd(width[i]))).join('  ').trimEnd();
    out.push(t.kind === 'projection' ? `== ${t.title.toUpperCase()} ==` : `== ${t.title} ==`);
    out.push(line(cols), width.map((w) => '-'.repeat(w)).join('  '));
    for (const row of cells.slice(1)) out.push(line(row));
    for (const n of t.notes) out.push(`  ${n}`);
    out.push('');
  }
  return out.join('\n');
}
