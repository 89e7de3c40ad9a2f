/**
 * What runs cost: measured pod-seconds, vCPU-hours and GiB-hours (from each pod's stored CPU and
 * memory limits) times prices the user sets. Local runs get their machine time beside them
 * (whole-machine core-hours over the wall time), not a price: a machine you own is not billed
 * by the second.
 */
import { CaplabError } from '../errors.ts';
import { parseQuantity } from '../cluster/units.ts';
import type { ParallelComparison } from './compare-parallel.ts';
import type { RunPlace } from './compare-place.ts';
import type { ScaleComparison } from './compare-scale.ts';

/** Prices per hour. `example: true` when they are the built-in example prices, not the user's. */
export interface Prices {
  vcpuHour: number;
  gibHour: number;
  currency: string;
  example: boolean;
}

/**
 * Example prices, roughly a cloud provider's on-demand price for general-purpose pods: stated as
 * examples everywhere they are used. Set your own with `caplab compare --vcpu-hour X --gib-hour Y`
 * or `compareResults(…, { prices: { vcpuHour, gibHour } })` (notebook 07's first cell).
 */
export const EXAMPLE_PRICES: Prices = Object.freeze({ vcpuHour: 0.04, gibHour: 0.005, currency: 'USD', example: true });

export const WHERE_TO_SET_PRICES = '`caplab compare --vcpu-hour X --gib-hour Y [--currency EUR]`, or `prices` in notebook 07\'s first cell';

export interface CostRow {
  path: string;
  run: string;
  place: RunPlace;
  /** Pods: the sum of every pod's measured seconds. Null for local runs. */
  podSeconds: number | null;
  vcpuHours: number | null;
  gibHours: number | null;
  cost: number | null;
  /** Local runs: wall time × the machine's cores, in core-hours. */
  machineCoreHours: number | null;
  wallSeconds: number;
  note?: string;
}

export interface CostTable {
  prices: Prices;
  rows: CostRow[];
}

/** Checks user prices (≥ 0, finite); missing fields take the example prices. */
export function resolvePrices(p: Partial<Omit<Prices, 'example'>> = {}): Prices {
  for (const f of ['vcpuHour', 'gibHour'] as const) {
    const v = p[f];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) {
      throw new CaplabError('usage', `Price ${f} must be a number ≥ 0, got ${v}.`, { hint: `Set prices with ${WHERE_TO_SET_PRICES}.` });
    }
  }
  const prices = { vcpuHour: p.vcpuHour ?? EXAMPLE_PRICES.vcpuHour, gibHour: p.gibHour ?? EXAMPLE_PRICES.gibHour, currency: p.currency ?? EXAMPLE_PRICES.currency };
  // The example prices passed back in (notebook 07 starts from them) are still example prices.
  const example = prices.vcpuHour === EXAMPLE_PRICES.vcpuHour && prices.gibHour === EXAMPLE_PRICES.gibHour && prices.currency === EXAMPLE_PRICES.currency;
  return { ...prices, example };
}

function podCost(podSeconds: number, place: RunPlace, prices: Prices): Pick<CostRow, 'vcpuHours' | 'gibHours' | 'cost' | 'note'> {
  const cpu = place.podCpu ? parseQuantity(place.podCpu) : NaN;
  const mem = place.podMemory ? parseQuantity(place.podMemory) / 1024 ** 3 : NaN;
  if (!Number.isFinite(cpu) || !Number.isFinite(mem)) {
    return { vcpuHours: null, gibHours: null, cost: null, note: 'the pods\' CPU and memory limits were not stored, so no vCPU- or GiB-hours' };
  }
  const vcpuHours = (podSeconds * cpu) / 3600;
  const gibHours = (podSeconds * mem) / 3600;
  return { vcpuHours, gibHours, cost: vcpuHours * prices.vcpuHour + gibHours * prices.gibHour };
}

function machineTime(wallSeconds: number, place: RunPlace): number {
  return (wallSeconds * place.cores) / 3600;
}

/** One cost row per search run and per measured training way. */
export function costTable(parallel: ParallelComparison | null, scale: ScaleComparison | null, prices: Prices): CostTable {
  const rows: CostRow[] = [];
  for (const r of parallel?.rows ?? []) {
    if (r.place.kind === 'local') {
      rows.push({ path: r.path, run: `search: ${r.run}`, place: r.place, podSeconds: null, vcpuHours: null, gibHours: null, cost: null, machineCoreHours: machineTime(r.wallSeconds, r.place), wallSeconds: r.wallSeconds });
    } else {
      rows.push({ path: r.path, run: `search: ${r.run}`, place: r.place, podSeconds: r.trialSeconds, machineCoreHours: null, wallSeconds: r.wallSeconds, ...podCost(r.trialSeconds, r.place, prices) });
    }
  }
  for (const w of scale?.ways ?? []) {
    if (w.status !== 'measured' || !w.place || w.seconds === undefined) continue;
    const run = `train ${w.scale}×: ${w.way}`;
    if (w.place.kind === 'local') {
      rows.push({ path: w.path!, run, place: w.place, podSeconds: null, vcpuHours: null, gibHours: null, cost: null, machineCoreHours: machineTime(w.seconds, w.place), wallSeconds: w.seconds });
    } else {
      const podSeconds = w.seconds * (w.pods ?? 1);
      rows.push({ path: w.path!, run, place: w.place, podSeconds, machineCoreHours: null, wallSeconds: w.seconds, ...podCost(podSeconds, w.place, prices) });
    }
  }
  return { prices, rows };
}
