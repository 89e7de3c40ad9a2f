/** A probe report as table rows and as text, for the CLI and notebooks. */
import { formatBytes } from '../util/format.ts';
import type { ProgressHook } from '../progress.ts';
import type { ProbeReport, ProbeRun } from './probe.ts';

/** "oom (heap)", "over-budget", "ok": an outcome as a short label. */
export function probeOutcomeLabel(run: Pick<ProbeRun, 'outcome' | 'oom'>): string {
  return run.outcome === 'oom' ? `oom (${run.oom})` : run.outcome;
}

/**
 * The first scale that did not run within the budget (out of memory, over the budget, or failed):
 * the scale the story is about — streamed in notebook 02, trained data-parallel in 06, compared in 07.
 */
export function failedProbeRun(report: Pick<ProbeReport, 'runs'>): ProbeRun | undefined {
  return report.runs.find((r) => r.outcome === 'oom' || r.outcome === 'over-budget' || r.outcome === 'failed');
}

/** One row per probed scale: rows, peak, time, outcome. */
export function probeRunTable(report: ProbeReport): Array<Record<string, string | number>> {
  return report.runs.map((r) => ({
    scale: `${r.scale}×`,
    rows: r.rows === null ? '' : `${r.rowsEstimated ? '~' : ''}${r.rows.toLocaleString('en-US')}`,
    peak: r.peakBytes === null ? '' : formatBytes(r.peakBytes),
    seconds: r.seconds === null ? '' : Number(r.seconds.toFixed(1)),
    outcome: probeOutcomeLabel(r),
    reason: r.outcome === 'ok' ? '' : r.reason ?? '',
  }));
}

/** One row per scale: memory needed, and for scales that do not fit the budget, the pod plan. */
export function probePlanTable(report: ProbeReport): Array<Record<string, string | number>> {
  return report.plan.map((p) => ({
    scale: `${p.scale}×`,
    rows: p.rows.toLocaleString('en-US'),
    need: `~${formatBytes(p.needBytes, 2)}`,
    'this machine': p.fitsBudget ? 'fits' : 'does not fit',
    pods: p.fitsBudget ? '' : p.pods ?? '',
    'memory per pod': p.fitsBudget ? '' : p.podMemory ?? '',
    plan: p.fitsBudget ? 'run it here' : p.text,
  }));
}

/** The fit in one sentence, e.g. "≈ 180 MiB + 412 B/row (raw float32: 128 B/row, 3.2×)". */
export function describeFit(report: ProbeReport): string {
  const f = report.fit;
  if (!f) return 'no fit: no scale ran within the budget';
  return `memory ≈ ${formatBytes(f.fixedBytes)} + ${f.perRowBytes.toFixed(0)} B/row (raw float32 floor ${f.rawBytesPerRow} B/row; ${f.ratio.toFixed(2)}× the floor; ${f.method}, ${f.points} point${f.points === 1 ? '' : 's'})`;
}

/** The report as text lines for a terminal. */
export function formatProbeReport(report: ProbeReport): string {
  const lines: string[] = [];
  lines.push(`budget ${formatBytes(report.budgetBytes)} (${report.budgetSource})${report.heapLimitMiB ? `, JS heap limit ${report.heapLimitMiB} MiB` : ''}, backend ${report.provenance.backend ?? '?'}`);
  if (report.enforcement) lines.push(`held by ${enforcementText(report.enforcement)}`);
  lines.push('');
  lines.push(table(probeRunTable(report)));
  lines.push('');
  lines.push(describeFit(report));
  if (report.largestOkScale !== null) lines.push(`largest scale run within the budget: ${report.largestOkScale}×`);
  if (report.predictedMaxScale !== null) lines.push(`predicted largest scale that fits: ~${formatScale(report.predictedMaxScale)}×`);
  const over = report.plan.filter((p) => !p.fitsBudget);
  if (over.length) {
    lines.push('', `pod plan (pods of at most ${formatBytes(report.maxPodBytes)}):`);
    for (const p of over) lines.push(`  ${p.scale}×: ${p.text}`);
  }
  return lines.join('\n');
}

function formatScale(s: number): string {
  return s >= 10 ? s.toFixed(0) : s.toPrecision(2);
}

function table(rows: Array<Record<string, string | number>>): string {
  if (!rows.length) return '(no runs)';
  const cols = Object.keys(rows[0]);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(width[i])).join('  ').trimEnd();
  return [line(cols), ...rows.map((r) => line(cols.map((c) => String(r[c]))))].join('\n');
}

/**
 * A progress hook that keeps one line per scale ("10×: running, peak 205 MiB") and hands the
 * whole board to `show` on every change: pass a notebook's `liveStatus().update`.
 */
export function probeProgressReporter(show: (text: string) => void): ProgressHook {
  const lines = new Map<number, string>();
  let note = '';
  const render = () => show([...lines.values(), note].filter(Boolean).join('\n'));
  return (e) => {
    if (e.kind === 'probe-scale') {
      const peak = e.peakBytes ? `, peak ${formatBytes(e.peakBytes)}` : '';
      lines.set(e.scale, `${e.scale}×: ${e.status}${peak}`);
      note = '';
      render();
    } else if (e.kind === 'shard-written') {
      note = `  generating: shard ${e.done}/${e.total}, ${e.rows.toLocaleString('en-US')} rows`;
      render();
    } else if (e.kind === 'message') {
      note = `  ${e.text}`;
      render();
    }
  };
}

/** Who held the probe's children to the budget, in words (a report made before this was recorded has none). */
export function enforcementText(e: NonNullable<ProbeReport['enforcement']>): string {
  return e.by === 'cgroup'
    ? 'a memory cgroup sized to the budget: the kernel OOM-kills a child over it, as it kills a pod'
    : `the parent's RSS watch (it kills a child over the budget)${e.why ? `; no memory cgroup: ${e.why}` : ''}`;
}
