/**
 * The memory probe: for each data scale in turn, a child process loads that dataset into memory
 * and trains on it while the parent watches its memory under a budget that stands for a smaller
 * machine. The result says where this machine runs out, how memory grows per row, and how many
 * pods a bigger scale would need.
 */
import { join } from 'node:path';
import { CaplabError } from '../errors.ts';
import { GENERATE_DEFAULTS } from '../data/generate.ts';
import { dataPath } from '../paths.ts';
import { preset } from '../presets.ts';
import type { ProgressHook } from '../progress.ts';
import { localProvenance, type Provenance } from '../provenance.ts';
import type { ModelConfig } from '../train/config.ts';
import type { BackendChoice } from '../train/types.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { availableMemory } from './available.ts';
import { formatBytes } from '../util/format.ts';
import { parseBytes } from '../util/quantity.ts';
import { ensureProbeDataset, type ProbeDataset } from './datasets.ts';
import { fitMemory, maxRowsWithin, podPlan, type MemoryFit, type PodPlan } from './fit.ts';
import type { OomKind } from '../spec/oom.ts';
import type { SpecResult } from '../spec/types.ts';
import { createSequentialExecutor } from '../exec/sequential.ts';
import { budgetEnforcement } from '../exec/memory-watch.ts';
import { withDefaults } from '../util/defaults.ts';
import type { ProbeSpec, ProbeWorkerResult } from './probe-worker.ts';

export interface ProbeOptions {
  /** Data scales to probe, in order. Default the preset's scales (full: 1, 10, 50, 200). */
  scales?: number[];
  /** Memory budget ("8GiB", "512MiB", bytes). Default: what this machine has available (see `availableMemory`). */
  budget?: string | number;
  /** Folder holding one dataset per scale (`x<scale>-t<tickers>-d<days>-s<seed>`), generated when missing. Default data/probe. */
  dataRoot?: string;
  /** Base (1×) market size for generated datasets. Default the preset's. */
  tickers?: number;
  days?: number;
  /** Generator seed. Default 42 (the generator's default). */
  seed?: number;
  /** Gradient steps per run; 0 trains one full epoch. Default 100. */
  steps?: number;
  /** Keep probing larger scales after one failed. Default false: they are recorded as `skipped`. */
  keepGoing?: boolean;
  /** Child's `--max-old-space-size` in MiB (caps the JS heap only). Default none (Node's own limit). */
  heapLimitMiB?: number;
  /** Default 'auto'. */
  backend?: BackendChoice;
  /** Model config for the runs (epochs is always 1). Default the training default. */
  config?: Partial<ModelConfig>;
  /** Largest memory limit one pod may ask for in the pod plan. Default the smaller of the budget and 4 GiB. */
  maxPodMemory?: string | number;
  /** Pod plan safety margin. Default 0.25. */
  headroom?: number;
  /** Where to save the report (JSON, written atomically). Default: not saved. */
  out?: string;
  /** Memory sampling interval in ms. Default 50. */
  sampleMs?: number;
  /**
   * How the budget is held: 'auto' (default) a memory cgroup sized to it where this machine lets
   * one be made, so the kernel kills the child as it kills a pod; else (or with 'rss-watch') the
   * parent's RSS watch kills it.
   */
  enforce?: 'auto' | 'rss-watch';
  onProgress?: ProgressHook;
  signal?: AbortSignal;
  /**
   * The node script and arguments a child runs, before `--spec-json JSON`. Default
   * `[<repo>/bin/caplab.js, 'worker']`. Tests inject small scripts that misbehave on purpose.
   */
  command?: string[];
  /** Finds (or makes) the dataset for a scale. Default: read it under dataRoot, generating it when missing. */
  prepare?: (scale: number) => Promise<ProbeDataset>;
}

export type ProbeOutcome = 'ok' | 'over-budget' | 'oom' | 'failed' | 'skipped';

export interface ProbeRun {
  scale: number;
  outcome: ProbeOutcome;
  /** Which way it ran out of memory, for outcome 'oom'. */
  oom?: OomKind;
  reason?: string;
  /** Rows held in memory (all splits); estimated from other scales when the data was never made. */
  rows: number | null;
  rowsEstimated?: boolean;
  features: number | null;
  /** Highest resident memory of the child (for over-budget: where it was killed). */
  peakBytes: number | null;
  seconds: number | null;
  exitCode?: number | null;
  exitSignal?: string | null;
  dataDir?: string;
  backend?: string;
  loadSeconds?: number;
  trainSeconds?: number;
}

export interface ProbePlanRow extends PodPlan {
  scale: number;
  outcome: ProbeOutcome;
  /** The predicted (or measured) memory fits the budget. */
  fitsBudget: boolean;
}

export interface ProbeReport {
  kind: 'caplab-memory-probe';
  schemaVersion: 1;
  createdAt: string;
  budgetBytes: number;
  /** Where the budget came from: "--budget 8GiB" or "/proc/meminfo MemAvailable". */
  budgetSource: string;
  heapLimitMiB: number | null;
  /** Who held the children to the budget: the kernel (a memory cgroup) or the parent's RSS watch, and why not a cgroup. */
  enforcement?: { by: 'cgroup' | 'rss-watch'; why?: string };
  steps: number;
  tickers: number;
  days: number;
  runs: ProbeRun[];
  fit: MemoryFit | null;
  /** Largest probed scale that ran within the budget. */
  largestOkScale: number | null;
  /** Scale where the fitted line crosses the budget; null without a fit or when memory does not grow with rows. */
  predictedMaxScale: number | null;
  maxPodBytes: number;
  plan: ProbePlanRow[];
  provenance: Provenance;
  seconds: number;
}

const defaults = {
  steps: 100,
  keepGoing: false,
  backend: 'auto' as BackendChoice,
  headroom: 0.25,
  sampleMs: 50,
  enforce: 'auto' as 'auto' | 'rss-watch',
};

const FOUR_GIB = 4 * 1024 ** 3;

function checkScales(scales: number[]): number[] {
  if (!Array.isArray(scales) || scales.length === 0) {
    throw new CaplabError('usage', 'The probe needs at least one scale.', { hint: 'Pass scales like 1,10,50,200.' });
  }
  for (const s of scales) {
    if (!Number.isInteger(s) || s < 1) {
      throw new CaplabError('usage', `Scale ${JSON.stringify(s)} is not a positive integer.`, { hint: 'Scales are multiples of the base dataset: 1,10,50,200.' });
    }
  }
  return scales;
}

async function resolveBudget(budget: ProbeOptions['budget']): Promise<{ bytes: number; source: string }> {
  if (budget !== undefined) {
    const bytes = parseBytes(budget, 'budget');
    return { bytes, source: typeof budget === 'number' ? `budget ${formatBytes(bytes)}` : `budget ${budget}` };
  }
  const avail = await availableMemory();
  return { bytes: avail.bytes, source: avail.source };
}

/** What one probe run needs to know, worked out once from the options. */
interface ProbeContext {
  o: ReturnType<typeof probeDefaults>;
  budgetBytes: number;
  prepare: (scale: number) => Promise<ProbeDataset>;
  emit: ProgressHook;
}

function probeDefaults(options: ProbeOptions) {
  return withDefaults(defaults, options);
}

/** Runs the probe; see ProbeOptions. Never throws for a child that fails: that is a result. */
export async function runProbe(options: ProbeOptions = {}): Promise<ProbeReport> {
  const started = performance.now();
  const p = preset();
  const o = probeDefaults(options);
  const scales = checkScales(options.scales ?? p.scales);
  const tickers = options.tickers ?? p.tickers;
  const days = options.days ?? p.days;
  if (!Number.isInteger(o.steps) || o.steps < 0) throw new CaplabError('usage', `steps must be an integer ≥ 0, got ${o.steps}.`);
  if (o.heapLimitMiB !== undefined && !(Number.isInteger(o.heapLimitMiB) && o.heapLimitMiB >= 16)) {
    throw new CaplabError('usage', `heapLimitMiB must be an integer ≥ 16, got ${o.heapLimitMiB}.`);
  }
  const budget = await resolveBudget(options.budget);
  const maxPodBytes = options.maxPodMemory !== undefined ? parseBytes(options.maxPodMemory, 'maxPodMemory') : Math.min(budget.bytes, FOUR_GIB);
  const dataRoot = options.dataRoot ?? dataPath('probe');
  const seed = options.seed ?? GENERATE_DEFAULTS.seed;
  const prepare =
    options.prepare ??
    ((scale: number) =>
      ensureProbeDataset({ dir: join(dataRoot, `x${scale}-t${tickers}-d${days}-s${seed}`), scale, tickers, days, seed, onProgress: o.onProgress }));
  const ctx: ProbeContext = { o, budgetBytes: budget.bytes, prepare, emit: o.onProgress ?? (() => {}) };

  const runs: ProbeRun[] = [];
  for (const scale of scales) {
    const failedBefore = runs.some((r) => r.outcome !== 'ok' && r.outcome !== 'skipped');
    if ((failedBefore && !o.keepGoing) || o.signal?.aborted) {
      runs.push({ scale, outcome: 'skipped', reason: o.signal?.aborted ? 'cancelled' : 'a smaller scale already failed (use keepGoing to try anyway)', rows: null, features: null, peakBytes: null, seconds: null });
      ctx.emit({ kind: 'probe-scale', scale, status: 'skipped' });
      continue;
    }
    const run = await probeScale(scale, ctx);
    runs.push(run);
    ctx.emit({ kind: 'probe-scale', scale, status: run.outcome === 'oom' ? `oom-${run.oom}` : run.outcome, peakBytes: run.peakBytes ?? undefined });
  }

  fillEstimatedRows(runs);
  const report: ProbeReport = {
    kind: 'caplab-memory-probe',
    schemaVersion: 1,
    createdAt: new Date().toISOString(),
    budgetBytes: budget.bytes,
    budgetSource: budget.source,
    heapLimitMiB: o.heapLimitMiB ?? null,
    enforcement: o.enforce === 'rss-watch' ? { by: 'rss-watch', why: 'asked for (enforce: rss-watch)' } : budgetEnforcement(),
    steps: o.steps,
    tickers,
    days,
    runs,
    ...fitAndPlan(runs, budget.bytes, maxPodBytes, o.headroom),
    maxPodBytes,
    provenance: localProvenance('sequential', runs.find((r) => r.backend)?.backend ?? (o.backend === 'auto' ? undefined : o.backend)),
    seconds: (performance.now() - started) / 1000,
  };
  if (options.out) await writeFileAtomic(options.out, JSON.stringify(report, null, 2) + '\n');
  return report;
}

/**
 * One scale: its dataset, then one probe spec on the sequential executor, which watches the
 * worker's memory under the budget as a container limit would.
 */
async function probeScale(scale: number, { o, budgetBytes, prepare, emit }: ProbeContext): Promise<ProbeRun> {
  emit({ kind: 'probe-scale', scale, status: 'preparing' });
  let data: ProbeDataset;
  try {
    data = await prepare(scale);
  } catch (e) {
    const reason = e instanceof Error ? e.message.split('\n')[0] : String(e);
    return { scale, outcome: 'failed', reason: `dataset: ${reason}`, rows: null, features: null, peakBytes: null, seconds: null };
  }
  const spec: ProbeSpec = { id: `probe-x${scale}`, kind: 'probe', payload: { dataDir: data.dir, steps: o.steps, backend: o.backend, config: o.config } };
  const executor = createSequentialExecutor({
    nodeArgs: o.heapLimitMiB ? [`--max-old-space-size=${o.heapLimitMiB}`] : [],
    workerCommand: o.command,
    memory: { budgetBytes, sampleMs: o.sampleMs, enforce: o.enforce, onSample: (peak) => emit({ kind: 'probe-scale', scale, status: 'running', peakBytes: peak }) },
  });
  emit({ kind: 'probe-scale', scale, status: 'running' });
  const [r] = await executor.run([spec], { signal: o.signal });
  const result = (r.result ?? undefined) as Partial<ProbeWorkerResult> | undefined;
  const ok = r.status === 'ok' ? result : undefined;
  // The kernel's high-water mark, and the worker's own maxRSS where it lived to report it.
  const peak = Math.max(r.peakRssBytes ?? 0, typeof result?.maxRssBytes === 'number' ? result.maxRssBytes : 0);
  return {
    scale,
    ...outcomeOf(r),
    rows: typeof ok?.rows === 'number' ? ok.rows : data.rows,
    features: typeof ok?.features === 'number' ? ok.features : data.features,
    peakBytes: peak || null,
    seconds: r.seconds,
    exitCode: r.exit?.code,
    exitSignal: r.exit?.signal,
    dataDir: data.dir,
    backend: ok?.backend,
    loadSeconds: ok?.loadSeconds,
    trainSeconds: ok?.trainSeconds,
  };
}

function outcomeOf(r: SpecResult): Pick<ProbeRun, 'outcome' | 'oom' | 'reason'> {
  if (r.status === 'ok') return { outcome: 'ok' };
  if (r.failure === 'over-budget') return { outcome: 'over-budget', reason: r.reason };
  if (r.failure === 'oom') return { outcome: 'oom', oom: r.oom, reason: r.reason };
  if (r.failure === 'cancelled') return { outcome: 'failed', reason: 'cancelled' };
  return { outcome: 'failed', reason: r.reason };
}

/** The memory line through the runs that fit, where it crosses the budget, and pods per scale. */
function fitAndPlan(runs: ProbeRun[], budgetBytes: number, maxPodBytes: number, headroom: number): Pick<ProbeReport, 'fit' | 'largestOkScale' | 'predictedMaxScale' | 'plan'> {
  const okRuns = runs.filter((r) => r.outcome === 'ok' && r.rows && r.peakBytes);
  const features = runs.find((r) => r.features)?.features ?? 0;
  const fit = fitMemory(okRuns.map((r) => ({ rows: r.rows as number, peakBytes: r.peakBytes as number })), features);
  const rowsPerScale = medianRowsPerScale(runs);
  const maxRows = fit ? maxRowsWithin(fit, budgetBytes) : null;
  const plan: ProbePlanRow[] = [];
  if (fit) {
    for (const r of runs) {
      if (r.rows === null) continue;
      const pp = podPlan(fit, r.rows, { maxPodBytes, headroom });
      // An over-budget peak is a floor on what the scale needs: never plan below it.
      const needBytes = Math.max(pp.needBytes, r.outcome === 'ok' ? 0 : r.peakBytes ?? 0);
      // Skipped or crashed scales say nothing about memory: judge them by the prediction.
      const ranOut = r.outcome === 'over-budget' || r.outcome === 'oom';
      const fitsBudget = r.outcome === 'ok' || (!ranOut && needBytes <= budgetBytes);
      plan.push({ ...pp, needBytes, scale: r.scale, outcome: r.outcome, fitsBudget });
    }
  }
  const okScales = runs.filter((r) => r.outcome === 'ok').map((r) => r.scale);
  return {
    fit,
    largestOkScale: okScales.length ? Math.max(...okScales) : null,
    predictedMaxScale: maxRows !== null && Number.isFinite(maxRows) && rowsPerScale ? maxRows / rowsPerScale : null,
    plan,
  };
}

function medianRowsPerScale(runs: ProbeRun[]): number | null {
  const v = runs.filter((r) => r.rows && !r.rowsEstimated).map((r) => (r.rows as number) / r.scale).sort((a, b) => a - b);
  return v.length ? v[Math.floor(v.length / 2)] : null;
}

/** Skipped scales never made their data; the rows scale with the scale, so estimate them. */
function fillEstimatedRows(runs: ProbeRun[]): void {
  const perScale = medianRowsPerScale(runs);
  if (!perScale) return;
  for (const r of runs) {
    if (r.rows === null) {
      r.rows = Math.round(perScale * r.scale);
      r.rowsEstimated = true;
    }
  }
}
