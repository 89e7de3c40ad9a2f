/**
 * The `full` preset's scales, chosen from this machine instead of fixed: 1×, 10×, about half the
 * scale the probe predicts this machine holds in memory (it fits), and about twice that scale (it
 * cannot fit), so "this machine cannot" is true at full size on any machine. A calibration probe
 * of the small scales under this machine's own memory gives the prediction. Before anything is
 * generated, the disk must hold every scale's dataset, or the choice is refused with what it needs.
 */
import { join } from 'node:path';
import { CaplabError } from '../errors.ts';
import { BYTES_PER_ROW } from '../data/writer.ts';
import { diskMargin, freeBytes } from '../util/disk.ts';
import { formatBytes } from '../util/format.ts';
import type { ProbeReport } from './probe.ts';
import { demoBudget } from './demo-budget.ts';

export interface MachineScales {
  /** Increasing: 1, 10, then the fitting and the failing scale. */
  scales: number[];
  /** The scale the fit predicts this machine holds in memory (calibration.predictedMaxScale). */
  predictedMaxScale: number;
  /** The memory the prediction was made against, and where that figure came from. */
  budgetBytes: number;
  budgetSource: string;
  /** Bytes the datasets of every scale take on disk (estimate: rows × bytes per row). */
  diskBytes: number;
  /** Why these scales, in a sentence. */
  text: string;
}

export interface MachineScalesOptions {
  /** The largest scale as a multiple of the predicted one. Default 2. */
  factor?: number;
}

/** `x` rounded to two significant digits, up or down. */
function nice(x: number, dir: 'up' | 'down'): number {
  if (x < 10) return Math.max(1, dir === 'up' ? Math.ceil(x) : Math.floor(x));
  const unit = 10 ** (Math.floor(Math.log10(x)) - 1);
  return (dir === 'up' ? Math.ceil(x / unit) : Math.floor(x / unit)) * unit;
}

/**
 * The full preset's scales from a calibration probe run with this machine's memory as its
 * budget (the probe's default). Throws when the calibration gives no prediction.
 *
 * ```ts
 * const calibration = await runProbe({ scales: [1, 10] });   // budget: what this machine has
 * const m = machineScales(calibration);                       // e.g. [1, 10, 450, 1900]
 * await checkDiskForScales(dataRoot, m, { tickers: 100, days: 1260 });
 * ```
 */
export function machineScales(calibration: ProbeReport, options: MachineScalesOptions = {}): MachineScales {
  const factor = options.factor ?? 2;
  if (!(factor > 1)) throw new CaplabError('bad-option', `factor ${factor} must be above 1: the largest scale must not fit.`);
  const predicted = calibration.predictedMaxScale;
  if (predicted === null || !Number.isFinite(predicted) || predicted <= 0) {
    throw new CaplabError('usage', `The calibration probe predicts no largest scale for this machine (${calibration.fit ? 'memory does not grow with the rows it measured' : 'no scale finished, so there is no fit'}).`, {
      hint: 'Calibrate on scales whose memory differs clearly (e.g. 1 and 10 of the full base market), with the default budget.',
    });
  }
  const largest = nice(predicted * factor, 'up');
  const fitting = nice(predicted / 2, 'down');
  const scales = [...new Set([1, 10, fitting, largest])].filter((s) => s <= largest).sort((a, b) => a - b);
  const perScale = rowsPerScale(calibration);
  const diskBytes = scales.reduce((a, s) => a + Math.round(s * perScale) * BYTES_PER_ROW, 0);
  return {
    scales,
    predictedMaxScale: predicted,
    budgetBytes: calibration.budgetBytes,
    budgetSource: calibration.budgetSource,
    diskBytes,
    text: `this machine holds about ${predicted.toFixed(0)}× in memory (${formatBytes(calibration.budgetBytes)}, ${calibration.budgetSource}): ` +
      `scales ${scales.join(', ')} — the largest is about ${factor}× that, so it cannot fit`,
  };
}

/** Rows per 1× from the calibration runs that know their rows. */
function rowsPerScale(c: ProbeReport): number {
  const known = c.runs.filter((r) => r.rows && !r.rowsEstimated);
  if (known.length === 0) throw new CaplabError('usage', 'The calibration probe recorded no row counts.', { hint: 'Run the calibration again; it must finish at least one scale.' });
  return Math.max(...known.map((r) => (r.rows as number) / r.scale));
}

/**
 * Refuses up front (CaplabError 'disk-space') when the disk under `dataRoot` cannot hold the
 * datasets of every scale, saying how much they need and how much is free.
 */
export async function checkDiskForScales(dataRoot: string, m: MachineScales): Promise<void> {
  const free = await freeBytes(join(dataRoot, '.'));
  if (free === undefined) return;
  const need = m.diskBytes + diskMargin(m.diskBytes);
  if (need > free) {
    throw new CaplabError('disk-space', `The full preset's datasets (scales ${m.scales.join(', ')}) need about ${formatBytes(m.diskBytes)} plus ${formatBytes(diskMargin(m.diskBytes))} to spare, but ${dataRoot} has ${formatBytes(free)} free.`, {
      hint: `Free ${formatBytes(need - free)} on that disk, point the data folder at a larger disk, or use the quick preset (CAPLAB_PRESET=quick).`,
    });
  }
}

export interface ProbeScalePlan {
  scales: number[];
  /** The budget for the probe: undefined means this machine's own memory (the probe's default). */
  budgetBytes: number | undefined;
  /** Whose limit the probe runs under: this machine's (`full`) or a stand-in (`tiny`, `quick`). */
  limit: 'machine' | 'stand-in';
  /** What was chosen and why, in a sentence a notebook can show. */
  text: string;
}

/**
 * The scales and budget a preset's probe runs at, from a calibration probe of its two smallest
 * scales. `full` (limit 'machine'): scales from this machine's predicted limit, under this
 * machine's own memory, refused up front when the disk cannot hold them. The stand-in presets:
 * their fixed scales under a budget between the two largest predicted peaks (demoBudget).
 */
export async function probeScalePlan(
  preset: { scales: number[]; limit: 'machine' | 'stand-in' },
  calibration: ProbeReport,
  dataRoot: string,
): Promise<ProbeScalePlan> {
  if (preset.limit === 'machine') {
    const m = machineScales(calibration);
    await checkDiskForScales(dataRoot, m);
    return { scales: m.scales, budgetBytes: undefined, limit: 'machine', text: `This machine's own limit: ${m.text}.` };
  }
  const b = demoBudget(calibration, preset.scales);
  return { scales: preset.scales, budgetBytes: b.bytes, limit: 'stand-in', text: `A stand-in budget of ${formatBytes(b.bytes)}, not this machine's limit: ${b.text}.` };
}
