/**
 * `runSearch`: expands a space into trials, opens (or resumes) the experiment's store, runs the
 * trials that have no result yet on an executor, and records each as it finishes. A failing trial
 * is recorded with its reason and the search goes on; an abort ends running trials and keeps
 * the finished ones.
 */
import { resolve } from 'node:path';
import { CaplabError, isCaplabError } from '../errors.ts';
import { verifyDataset, type Manifest } from '../data/manifest.ts';
import { createExecutor, type ExecutorName, type ExecutorOptions } from '../exec/create.ts';
import type { Executor } from '../exec/types.ts';
import type { Spec, SpecResult } from '../spec/types.ts';
import type { ProgressHook } from '../progress.ts';
import { withDefaults } from '../util/defaults.ts';
import type { TrainResult, BackendChoice } from '../train/types.ts';
import { createEarlyStopper, type EarlyStopOptions, type EarlyStopper } from './asha.ts';
import { expandSearchSpace, loadSearchSpace, type SearchSpace } from './space.ts';
import { appendTrialRecord, datasetChecksum, experimentIdentity, latestTrialRecords, lockExperiment, openExperiment, readTrialLines, type ExperimentMeta } from './store.ts';
import type { TrialPayload } from './trial-worker.ts';
import type { SearchBest, SearchStatus, Trial, TrialEpoch, TrialRecord } from './types.ts';

export interface SearchOptions {
  /** Dataset folder (from `caplab data generate` or `import`). Required. */
  data: string;
  /** Results folder of this experiment. Required. */
  out: string;
  /** A preset name (`default`, `random`), a JSON/YAML file, or a space object. Default 'default' (18 configs). */
  space?: string | SearchSpace;
  /** Executor name or instance. Default 'sequential'. */
  executor?: ExecutorName | Executor;
  /** Options for a named executor (node flags, kubernetes settings). */
  executorOptions?: ExecutorOptions;
  /** Pool: child processes at once. Default: the cores. */
  workers?: number;
  /** Overrides every trial's epochs. */
  epochs?: number;
  /** Random space: trials; grid: the first N points. */
  trials?: number;
  /** Random space: sampling seed. */
  seed?: number;
  /** Size preset for the built-in spaces' epochs. Default CAPLAB_PRESET (quick). */
  preset?: string;
  /** Stop poor trials at rungs (ASHA-style): true for the defaults. Default false. */
  earlyStop?: boolean | EarlyStopOptions;
  /** Continue the experiment in `out`, running only trials without a result. Default false. */
  resume?: boolean;
  /**
   * With resume: run failed trials again. Default true: a failure may come from the machine or
   * the data rather than the config, so it is not counted as done unless asked (false).
   */
  retryFailed?: boolean;
  /**
   * Check every shard's sha256 before any trial runs. Default true; false checks only that the
   * shards are there with the right shapes, so a changed byte goes unnoticed.
   */
  checksums?: boolean;
  /** Start over: replace the experiment in `out`. Default false. */
  force?: boolean;
  /** Training backend in the workers. Default 'auto'. */
  backend?: BackendChoice;
  /**
   * How trials reach the data: 'dir' (its path), 'synthetic' (workers regenerate the seeded dataset
   * from its manifest), 'auto' (synthetic on kubernetes when the data is synthetic, else dir). Default 'auto'.
   */
  dataRef?: 'auto' | 'dir' | 'synthetic';
  /**
   * Plan only: the executor is asked for a dry run (kubernetes prints its manifests) and nothing is
   * written to the experiment folder. Default false.
   */
  dryRun?: boolean;
  /** Abort: running trials end as cancelled (not recorded, so a resume runs them). */
  signal?: AbortSignal;
  onProgress?: ProgressHook;
  /** Called whenever the counts change, for a live status line. */
  onStatus?: (status: SearchStatus) => void;
  /** Called with each trial's record once it is stored. */
  onTrial?: (record: TrialRecord) => void;
}

export interface SearchSummary {
  /** The experiment folder. */
  experiment: string;
  executor: string;
  /** Distinct workers that ran trials in this run. */
  workers: number;
  /** Trials in the plan. */
  trials: number;
  /** Trials run by this call. */
  ran: number;
  /** Trials that already had a result (resume). */
  skipped: number;
  /** Over the whole experiment (latest record per trial). */
  ok: number;
  failed: number;
  stopped: number;
  /** Trials of this run ended by the abort signal (not recorded). */
  cancelled: number;
  /** Wall time of this call's trials. */
  seconds: number;
  best: SearchBest | null;
  /** The latest record of every trial that has one, in plan order. */
  records: TrialRecord[];
}

/** Results that are not a trial's outcome: a cancelled trial (Ctrl-C) or a dry run runs again next time. */
const NOT_RECORDED = new Set(['cancelled', 'dry-run']);

const defaults = { space: 'default', executor: 'sequential', dataRef: 'auto', earlyStop: false, resume: false, retryFailed: true, force: false, checksums: true } as const;

/** What skipping checksums skips, said whenever it is skipped. */
export const CHECKSUMS_SKIPPED =
  'checksums skipped: shards are checked for presence and shape only, so a changed or damaged byte would go unnoticed';

/** The dataset checked as the search needs it; a broken one is a 'data-error' naming what is wrong. */
async function checkData(dir: string, checksums: boolean): Promise<Manifest> {
  try {
    return await verifyDataset(dir, { checksums });
  } catch (e) {
    if (!(e instanceof CaplabError)) throw e;
    throw new CaplabError('data-error', `The dataset ${dir} cannot be used: ${e.message.split('\n')[0]}`, {
      hint: `Check it with \`caplab data info ${dir}\` and regenerate or re-import it; no trial ran on it.`,
      cause: e,
    });
  }
}

export async function runSearch(options: SearchOptions): Promise<SearchSummary> {
  // An option passed as undefined keeps its default (a plain spread would keep the undefined key:
  // dataRef undefined then sent pods this machine's path).
  const o = withDefaults(defaults, options);
  if (!o.data) throw new CaplabError('usage', 'runSearch needs `data`, a dataset folder.', { hint: 'Pass --data DIR (create one with `caplab data generate`).' });
  if (!o.out) throw new CaplabError('usage', 'runSearch needs `out`, the experiment folder.', { hint: 'Pass --out DIR, e.g. results/search.' });

  if (o.resume && o.force) {
    throw new CaplabError('usage', 'resume and force contradict each other: one continues the experiment, the other starts it over.', { hint: 'Pass one of --resume and --force.' });
  }
  if (options.retryFailed !== undefined && !o.resume) {
    throw new CaplabError('usage', 'retryFailed (--retry-failed / --keep-failed) applies only when resuming.', { hint: 'Add --resume, or drop the flag.' });
  }

  // Everything that can be wrong is checked before a trial runs.
  const space = await loadSearchSpace(o.space, { epochs: o.epochs, trials: o.trials, seed: o.seed, preset: o.preset });
  if (o.seed !== undefined && space.type !== 'random') {
    throw new CaplabError('usage', `A sampling seed (${o.seed}) applies only to a random space; this one is a grid.`, { hint: 'Drop --seed (model seeds go in the space\'s "seed" parameter), or use a random space.' });
  }
  const plan = expandSearchSpace(space);
  const dataDir = resolve(o.data);
  if (!o.checksums) o.onProgress?.({ kind: 'message', text: CHECKSUMS_SKIPPED });
  const manifest = await checkData(dataDir, o.checksums);
  const earlyStop = o.earlyStop === true ? {} : !o.earlyStop ? null : o.earlyStop;
  const meta: ExperimentMeta = {
    schemaVersion: 1,
    kind: 'caplab-experiment',
    createdAt: new Date().toISOString(),
    space,
    seed: space.type === 'random' ? (space.seed ?? 0) : null,
    data: { dir: dataDir, checksum: datasetChecksum(manifest), source: manifest.source, rows: manifest.rows },
    earlyStop,
    trials: plan,
  };
  const executor = await resolveExecutor(o, meta);
  const clusterData = clusterDataPath(o, executor);
  if (!clusterData && o.dataRef === 'auto' && executor.name === 'kubernetes' && manifest.source.type !== 'synthetic') {
    // Pods cannot read this machine's folder, and only synthetic data can be regenerated there.
    throw new CaplabError('usage', `The dataset in ${dataDir} is ${manifest.source.type}, not synthetic: pods on the cluster cannot regenerate it or read it from this machine.`, {
      hint: 'Make it on the data volume with a data Job (`npm run deploy -- --data-job "data import … --out /data/NAME"`), then pass --cluster-data /data/NAME.',
    });
  }
  // One writer per experiment folder, from before it is opened until the last record is written.
  const lock = o.dryRun ? null : await lockExperiment(o.out, (text) => o.onProgress?.({ kind: 'message', text }));
  try {
    return await runLocked(o, { space, plan, dataDir, manifest, meta, executor, clusterData, earlyStop });
  } finally {
    lock?.release();
  }
}

interface Planned {
  space: SearchSpace;
  plan: Trial[];
  dataDir: string;
  manifest: Manifest;
  meta: ExperimentMeta;
  executor: Executor;
  clusterData: string | undefined;
  earlyStop: EarlyStopOptions | null;
}

type Resolved = SearchOptions & Required<Pick<SearchOptions, 'dataRef' | 'resume' | 'retryFailed' | 'force' | 'checksums'>>;

async function runLocked(o: Resolved, p: Planned): Promise<SearchSummary> {
  const { plan, dataDir, meta, executor, clusterData, earlyStop } = p;
  const previous = latestTrialRecords(
    o.dryRun ? (o.resume ? (await readTrialLines(o.out)).records : []) : await openExperiment(o.out, meta, { resume: o.resume, force: o.force }),
  );
  const recorded = new Map(previous.map((r) => [r.trialId, r]));
  const todo = plan.filter((t) => {
    const r = recorded.get(t.id);
    return !r || (o.retryFailed && r.status === 'failed');
  });

  // reduce, not Math.max(...): a spread of a long plan overflows the call stack.
  const maxEpochs = plan.reduce((m, t) => Math.max(m, t.config.epochs), 1);
  const stopper = earlyStop ? createEarlyStopper(maxEpochs, earlyStop) : null;
  if (stopper) for (const r of previous) for (const e of r.epochs ?? []) stopper.record(r.trialId, e.epoch, e.valLoss);

  const { specs, useSynthetic } = trialSpecs(o, p, todo);

  const tracker = createTracker(plan, recorded, todo, o);
  const epochs = new Map<string, TrialEpoch[]>();
  const byId = new Map(plan.map((t) => [t.id, t]));
  let writes: Promise<void> = Promise.resolve();
  let writeError: unknown;
  const workers = new Set<string>();
  const started = performance.now();
  // A data error ends the whole search at once: every other trial would fail the same way.
  const stop = new AbortController();
  const signal = o.signal ? AbortSignal.any([o.signal, stop.signal]) : stop.signal;
  let dataError: CaplabError | undefined;
  const checker = clusterData || useSynthetic ? undefined : dataChecker(dataDir, o.checksums);
  const dataBroken = async (): Promise<CaplabError | undefined> => dataError ?? (await checker?.());

  const results = await executor.run(specs, {
    signal,
    onEvent: (event) => {
      if (event.kind === 'started') {
        workers.add(event.worker);
        tracker.started(event.id, event.worker);
      } else if (event.kind === 'finished') {
        const result = event.result;
        if (NOT_RECORDED.has(result.failure ?? '') || o.dryRun) {
          tracker.cancelled(result.id);
          return;
        }
        const record = toRecord(byId.get(result.id)!, result, epochs.get(result.id) ?? [], stopper);
        const failed = result.status === 'failed' && result.failure !== 'oom';
        tracker.ended(result.id);
        writes = writes.then(
          async () => {
            if (failed) {
              const broken = await dataBroken();
              if (broken) {
                // Not the config's result: left unrecorded, so a resume after the fix runs it.
                dataError ??= broken;
                tracker.cancelled(result.id);
                stop.abort(broken);
                return;
              }
            }
            await appendTrialRecord(o.out, record);
            tracker.finished(record);
            o.onTrial?.(record);
          },
          (e) => void (writeError ??= e),
        );
      }
    },
    onSpecProgress: (id, data) => {
      const e = epochOf(data);
      if (!e) return;
      const list = epochs.get(id) ?? [];
      list.push(e);
      epochs.set(id, list);
      o.onProgress?.({ kind: 'trial-epoch', trialId: id, epoch: e.epoch, valLoss: e.valLoss, loss: e.loss });
      if (stopper && stopper.report(id, e.epoch, e.valLoss) === 'stop') return 'stop';
    },
  });
  await writes.catch((e) => void (writeError ??= e));
  if (dataError) {
    const kept = tracker.records.length;
    throw new CaplabError('data-error', `The search stopped: ${dataError.message.split('\n')[0]}`, {
      hint: `Check the data with \`caplab data info ${dataDir}\`, regenerate or re-import it, then rerun with --resume${kept ? ` (the ${kept} trial(s) recorded before it are kept)` : ''}.`,
      cause: dataError,
    });
  }
  if (writeError) {
    throw new CaplabError('store-failed', `Could not record trial results in ${o.out}: ${(writeError as Error).message}`, { cause: writeError });
  }
  const seconds = (performance.now() - started) / 1000;

  const final = new Map(recorded);
  for (const r of tracker.records) final.set(r.trialId, r);
  return summarize(o.out, executor.name, workers.size, plan, todo.length, final, results, seconds);
}

/** The specs for the trials still to run, and whether pods regenerate the synthetic data themselves. */
function trialSpecs(o: Resolved, p: Planned, todo: Trial[]): { specs: Array<Spec<TrialPayload>>; useSynthetic: boolean } {
  const { dataDir, manifest, executor, clusterData } = p;
  const useSynthetic = !clusterData && (o.dataRef === 'synthetic' || (o.dataRef === 'auto' && executor.name === 'kubernetes' && manifest.source.type === 'synthetic'));
  const dataRef: TrialPayload['data'] = clusterData
    ? { dir: clusterData, checksum: datasetChecksum(manifest) }
    : useSynthetic ? syntheticRef(manifest, dataDir) : { dir: dataDir };
  const specs: Array<Spec<TrialPayload>> = todo.map((t) => ({
    id: t.id,
    kind: 'trial',
    payload: { config: t.config, data: dataRef, ...(o.backend ? { backend: o.backend } : {}) },
  }));
  return { specs, useSynthetic };
}

/**
 * Checks the local data after a failed trial: shapes every time, the full checksum pass once a
 * run (it reads all the data). Resolves to the data error, or undefined when the data is fine.
 */
function dataChecker(dataDir: string, checksums: boolean): () => Promise<CaplabError | undefined> {
  let checkedSums = false;
  return async () => {
    const sums = checksums && !checkedSums;
    checkedSums ||= sums;
    try {
      await checkData(dataDir, sums);
      return undefined;
    } catch (e) {
      if (!isCaplabError(e, 'data-error')) throw e;
      return e;
    }
  };
}

function summarize(
  out: string, executor: string, workers: number, plan: Trial[], todo: number,
  final: Map<string, TrialRecord>, results: SpecResult[], seconds: number,
): SearchSummary {
  const records = plan.map((t) => final.get(t.id)).filter((r): r is TrialRecord => r !== undefined);
  const count = (s: string) => records.filter((r) => r.status === s).length;
  return {
    experiment: out,
    executor,
    workers,
    trials: plan.length,
    ran: results.filter((r) => !NOT_RECORDED.has(r.failure ?? '')).length,
    skipped: plan.length - todo,
    ok: count('ok'),
    failed: count('failed'),
    stopped: count('stopped'),
    cancelled: results.filter((r) => r.failure === 'cancelled').length,
    seconds,
    best: bestTrial(records),
    records,
  };
}

async function resolveExecutor(o: SearchOptions, meta: ExperimentMeta): Promise<Executor> {
  if (o.executor && typeof o.executor === 'object') return o.executor;
  const name = (o.executor ?? defaults.executor) as ExecutorName;
  const options: ExecutorOptions = { ...o.executorOptions };
  if (o.workers !== undefined) options.workers = o.workers;
  if (name === 'kubernetes') {
    // A stable name per experiment, so a resubmit finds its Job.
    options.kubernetes = { experiment: `caplab-${experimentIdentity(meta).slice(0, 10)}`, ...(o.dryRun ? { dryRun: true } : {}), ...options.kubernetes };
  }
  return createExecutor(name, options);
}

/** kubernetes.dataPath: trials read the dataset from the data claim (their checksum must match the local one). */
function clusterDataPath(o: SearchOptions, executor: Executor): string | undefined {
  const path = o.executorOptions?.kubernetes?.dataPath;
  if (path === undefined || typeof o.executor === 'object') return undefined;
  if (executor.name !== 'kubernetes') {
    throw new CaplabError('usage', `A cluster data path (${path}) applies only to the kubernetes executor, not ${executor.name}.`, { hint: 'Drop --cluster-data, or pass --executor kubernetes.' });
  }
  if (o.dataRef === 'synthetic') {
    throw new CaplabError('usage', `dataRef 'synthetic' and a cluster data path (${path}) contradict each other.`, { hint: 'Use one: pods regenerate synthetic data, or read the dataset on the claim.' });
  }
  return path;
}

function syntheticRef(manifest: Manifest, dir: string): TrialPayload['data'] {
  const s = manifest.source as Manifest['source'] & { baseTickers?: number };
  if (s.type !== 'synthetic' || s.seed === undefined) {
    throw new CaplabError('usage', `The dataset in ${dir} is not synthetic, so workers cannot regenerate it.`, {
      hint: 'Put the data where the workers can read it (on the cluster: a data Job onto the PVC, then --cluster-data /data/NAME).',
    });
  }
  return { synthetic: { seed: s.seed, tickers: s.baseTickers ?? s.tickers, days: s.days, scale: s.scale ?? 1, checksum: datasetChecksum(manifest) } };
}

function epochOf(data: unknown): TrialEpoch | null {
  const d = data as Partial<TrialEpoch> | null;
  if (!d || typeof d !== 'object' || typeof d.epoch !== 'number' || typeof d.valLoss !== 'number') return null;
  return { epoch: d.epoch, loss: d.loss, valLoss: d.valLoss, seconds: d.seconds };
}

function toRecord(trial: Trial, result: SpecResult, reported: TrialEpoch[], stopper: EarlyStopper | null): TrialRecord {
  const r = result.result as Partial<TrainResult> | undefined;
  const trained = r && typeof r === 'object' && Array.isArray(r.epochs) ? r : undefined;
  let reason = result.reason;
  if (result.failure === 'early-stop' && stopper) {
    const d = stopper.stops.find((s) => s.trialId === trial.id);
    if (d) reason = `stopped early at epoch ${d.epoch}: validation loss ${d.valLoss.toPrecision(4)} ranked ${d.rank + 1} of ${d.seen} at the rung, only the best ${d.keep} go on`;
  }
  return {
    trialId: trial.id,
    status: result.status,
    ...(reason ? { reason } : {}),
    ...(result.failure ? { failure: result.failure } : {}),
    config: trial.config,
    ...(trained?.metrics ? { metrics: trained.metrics } : {}),
    epochs: trained ? trained.epochs!.map((e) => ({ epoch: e.epoch, loss: e.loss, valLoss: e.valLoss, seconds: e.seconds })) : reported,
    ...(trained?.bestEpoch !== undefined ? { bestEpoch: trained.bestEpoch } : {}),
    seconds: result.seconds,
    ...(trained?.seconds !== undefined ? { trainSeconds: trained.seconds } : {}),
    ...(trained?.rows !== undefined ? { rows: trained.rows } : {}),
    ...(trained?.rowsPerSecond !== undefined ? { rowsPerSecond: trained.rowsPerSecond } : {}),
    ...((trained?.backend ?? result.provenance.backend) ? { backend: trained?.backend ?? result.provenance.backend } : {}),
    worker: result.worker,
    startedAt: result.startedAt,
    finishedAt: result.finishedAt,
    provenance: result.provenance,
  };
}

/** The ok trial with the lowest validation MSE (the test split never chooses). */
export function bestTrial(records: TrialRecord[]): SearchBest | null {
  let best: TrialRecord | undefined;
  for (const r of records) {
    if (r.status !== 'ok' || !r.metrics) continue;
    if (!best || r.metrics.validation.mse < best.metrics!.validation.mse) best = r;
  }
  if (!best) return null;
  const v = best.metrics!.validation;
  return { trialId: best.trialId, config: best.config, validation: { mse: v.mse, rmse: v.rmse, mae: v.mae, r2: v.r2, directionalAccuracy: v.directionalAccuracy } };
}

function createTracker(plan: Trial[], recorded: Map<string, TrialRecord>, todo: Trial[], o: SearchOptions) {
  const start = performance.now();
  const running = new Set<string>();
  const records: TrialRecord[] = [];
  const latest = new Map(recorded);
  // A failed trial about to be retried is not done.
  for (const t of todo) latest.delete(t.id);
  let finishedNow = 0;
  const status = (): SearchStatus => {
    const all = [...latest.values()];
    const best = bestTrial(all);
    const elapsed = (performance.now() - start) / 1000;
    const left = todo.length - finishedNow;
    return {
      done: all.length,
      total: plan.length,
      running: running.size,
      failed: all.filter((r) => r.status === 'failed').length,
      stopped: all.filter((r) => r.status === 'stopped').length,
      ...(best ? { best: { trialId: best.trialId, mse: best.validation.mse } } : {}),
      elapsedSeconds: elapsed,
      ...(finishedNow > 0 ? { etaSeconds: (elapsed / finishedNow) * left } : {}),
    };
  };
  const emit = () => o.onStatus?.(status());
  emit();
  return {
    records,
    started(id: string, worker: string) {
      running.add(id);
      o.onProgress?.({ kind: 'trial-started', trialId: id, worker });
      emit();
    },
    cancelled(id: string) {
      running.delete(id);
      emit();
    },
    /** Off the running list as soon as it ends; counted once its record is stored. */
    ended(id: string) {
      running.delete(id);
    },
    finished(record: TrialRecord) {
      running.delete(record.trialId);
      records.push(record);
      latest.set(record.trialId, record);
      finishedNow++;
      const s = status();
      o.onProgress?.({
        kind: 'trial-finished',
        trialId: record.trialId,
        status: record.status,
        done: s.done,
        total: s.total,
        running: s.running,
        failed: s.failed,
        ...(s.best ? { best: s.best.mse } : {}),
      });
      o.onStatus?.(s);
    },
  };
}

/** One line for people: "12/18 done · 2 running · 1 failed · best mse 1.2e-4 · 34s elapsed · ~20s left". */
export function formatSearchStatus(s: SearchStatus): string {
  const parts = [`${s.done}/${s.total} done`, `${s.running} running`, `${s.failed} failed`];
  if (s.stopped) parts.push(`${s.stopped} stopped early`);
  if (s.best) parts.push(`best val mse ${s.best.mse.toPrecision(4)} (${s.best.trialId})`);
  parts.push(`${s.elapsedSeconds.toFixed(1)}s elapsed`);
  if (s.etaSeconds !== undefined && s.done < s.total) parts.push(`~${Math.ceil(s.etaSeconds)}s left`);
  return parts.join(' · ');
}
