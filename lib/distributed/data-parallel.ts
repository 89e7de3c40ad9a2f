/**
 * trainDataParallel: ONE rank of data-parallel training. Each rank holds only its share of the
 * rows (read from its shards, or, for the synthetic market, generated from its own tickers);
 * every step it computes the gradient on a local batch of `batchSize` rows, the
 * group averages the gradients, and every rank applies the same optimizer update, so the
 * replicas stay bit-identical and k ranks with batch b train like one process with batch k·b.
 * The epoch loop, best epoch, stop reasons and result are trainModel's (lib/train/loop.ts); a
 * rank passes its own rows and the all-reduce gradient step.
 *
 * Choices (why):
 * - Steps per epoch = the MOST local batches of any rank (agreed by an all-gather of row
 *   counts). A rank out of rows sends a zero-weight contribution, and every gradient is
 *   weighted by its batch's rows: a step's update is exactly the gradient over the union of
 *   that step's batches, and every train row is used once per epoch, as in trainModel.
 *   (Taking the fewest batches instead would silently drop rows of bigger shares every epoch.)
 * - Same seeded initial weights on every rank (no broadcast needed). Rank r shuffles its rows
 *   with its own seeded stream; rank 0's equals trainModel's, so one rank = trainModel's order.
 * - Standardization uses the whole train split's statistics: the manifest's (written by the
 *   generator) when present, else merged from every rank's rows (count, mean, squared
 *   deviations; Chan's parallel variance in float64).
 * - Validation loss (best epoch) and test metrics: each rank evaluates its share of those
 *   splits and the sums are combined (rank-evaluate.ts), so no rank holds all of them; rank 0
 *   decides and reports. Stop decisions (onEpoch, divergence, any rank's abort signal) are agreed before the first
 *   epoch and at each epoch's end.
 */
import { createHash } from 'node:crypto';
import { CaplabError } from '../errors.ts';
import { FEATURE_COUNT } from '../data/features.ts';
import { readManifest, type FeatureStats, type Manifest } from '../data/manifest.ts';
import type { ProgressHook } from '../progress.ts';
import { initBackend } from '../train/backend.ts';
import { scalerFrom } from '../train/batches.ts';
import { validateModelConfig, type ModelConfig } from '../train/config.ts';
import { checkMaxSteps, runEpochs, trainResult, type GradientStep } from '../train/loop.ts';
import { initialParams, Mlp } from '../train/mlp.ts';
import { seededUniform, TRAIN_STREAM } from '../train/rng.ts';
import type { Standardization } from '../train/scaling.ts';
import type { BackendChoice, EpochReport, SplitArrays, TrainResult } from '../train/types.ts';
import { agreeToStop, allGatherCounts, globalStandardization, manifestStandardization } from './collectives.ts';
import { joinGroup, type Group } from './group.ts';
import { loadRankShare } from './rank-data.ts';
import { rankSource, type RankSource } from './rank-source.ts';
import { rankEvaluator } from './rank-evaluate.ts';
import { localSgdStep } from './local-sgd.ts';
import type { StepPhases } from './step-phases.ts';
import { generateRankShare, type SyntheticRankData } from './rank-synthetic.ts';
import { rankCheckpointing } from './rank-checkpoint.ts';
import { contentHash } from '../util/canonical.ts';
import { datasetChecksum } from '../search/store.ts';

export type { StepPhases } from './step-phases.ts';

export interface DataParallelOptions {
  /** This rank, 0 … worldSize − 1. Rank 0 is the rendezvous point and reports the metrics. */
  rank: number;
  worldSize: number;
  /** Host of rank 0 (locally 127.0.0.1; on Kubernetes `<job>-0.<service>`). */
  host: string;
  port: number;
  /**
   * A dataset folder every rank can read (manifest.json + .npy shards; each rank reads only its
   * shards), or the seeded synthetic market, of which each rank generates only its own tickers.
   */
  data: string | { synthetic: SyntheticRankData };
  /** Model config; `batchSize` is per rank. Missing fields take DEFAULT_MODEL_CONFIG's values. */
  config?: Partial<ModelConfig>;
  /** Default 'auto'. */
  backend?: BackendChoice;
  /** Rendezvous and per-step wait for peers (covers the slowest rank's data loading). Default 120 000 ms. */
  timeoutMs?: number;
  /** Epoch events on every rank (each with the validation loss over every rank's rows). */
  onProgress?: ProgressHook;
  /** Rank 0 only: return 'stop' to end training on every rank after this epoch. */
  onEpoch?: (e: EpochReport) => 'stop' | void;
  /** Aborting any rank ends training on all ranks after the current epoch. */
  signal?: AbortSignal;
  /** Cap on steps per epoch (same on every rank). Default no cap. */
  maxSteps?: number;
  /** Return the final flat parameters (for tests and checkpoints). Default false. */
  keepParams?: boolean;
  /**
   * Opt-in LOCAL SGD, which CHANGES THE MATHEMATICS: ranks step alone and average their
   * parameters every this many steps (and at each epoch's end), so the result is not one
   * process's at batch k·b (see local-sgd.ts). Default none: exact data-parallel training.
   * Not with checkpointDir.
   */
  localSgdEvery?: number;
  /**
   * A folder every rank can read and rank 0 can write (on a cluster, the claim's): rank 0 writes a
   * checkpoint there after every epoch, and a group that starts with one there resumes from it.
   * Default none.
   */
  checkpointDir?: string;
}

/** What one rank did and held. */
export interface RankReport {
  rank: number;
  worldSize: number;
  backend: string;
  /**
   * How the train rows were divided: whole shards by rank, contiguous row ranges (fewer shards
   * than ranks), or (synthetic data) contiguous ranges of tickers, each generated by its rank.
   */
  by: 'shards' | 'rows' | 'tickers';
  /** Train rows this rank held in memory, and every rank's count (rowsByRank[rank] === localRows). */
  localRows: number;
  rowsByRank: number[];
  /** Bytes of data this rank held: x and y of its share of every split. */
  heldBytes: number;
  /** Where the standardization statistics came from. */
  stats: 'manifest' | 'all-reduce';
  stepsPerEpoch: number;
  /** Optimizer steps taken. */
  steps: number;
  /** sha256 of the final parameters' bytes: equal on every rank when the replicas agree. */
  paramsSha256: string;
  /** This process's peak resident memory (ru_maxrss); in-process ranks share one process. */
  peakRssBytes: number;
  /** Wall time of this rank's training (data loading excluded). */
  seconds: number;
  /**
   * CPU time of this process (all its threads) in each epoch's gradient steps. Per row trained,
   * it shows what distribution costs in work, which a busy machine disturbs less than wall
   * time; in-process ranks share one process, so each sees their total.
   */
  stepCpuSeconds: number[];
  /**
   * 'exact': gradients averaged every step (equal to one process at batch k·b); 'local-sgd':
   * parameters averaged every `localSgdEvery` steps (not equal: an approximation).
   */
  mode: 'exact' | 'local-sgd';
  localSgdEvery?: number;
  /** Where this rank's step time went, in seconds summed over every step (see StepPhases). */
  stepPhases: StepPhases;
}

/**
 * A step's wall time by phase, summed over steps. `exchange` is the all-reduce less the batch
 * prefetched inside it: on a rank whose peers are as fast as it, only transfer and summing; on
 * a rank that waits for a slower (or descheduled) peer, mostly that wait.
 */
export interface DataParallelResult {
  rank: RankReport;
  /** Rank 0 only: losses, throughput and metrics in trainModel's shape (rows = the whole train split). */
  train?: TrainResult;
  /** With keepParams: the final parameters (before rank 0 restores its best epoch for metrics). */
  params?: Float32Array;
  /** With checkpointDir: the epoch of the checkpoint this run resumed from, or null when it started at epoch 1. */
  resumedFromEpoch?: number | null;
}

const defaults = { backend: 'auto' as BackendChoice, timeoutMs: 120_000, keepParams: false };

function sha256(params: Float32Array): string {
  return createHash('sha256').update(new Uint8Array(params.buffer, params.byteOffset, params.byteLength)).digest('hex');
}

/**
 * Runs one rank; resolves when every rank has finished training. Throws CaplabError
 * 'rank-lost' when a peer dies, 'rendezvous-timeout' when one never arrives.
 *
 * ```ts
 * // in each of k processes (rank from JOB_COMPLETION_INDEX on Kubernetes):
 * const r = await trainDataParallel({ rank, worldSize: k, host: 'job-0.svc', port: 29500, data: '/data/market-10x' });
 * if (r.train) console.log(r.train.rowsPerSecond, r.train.metrics.test.rmse);
 * ```
 */
export async function trainDataParallel(options: DataParallelOptions): Promise<DataParallelResult> {
  // `??` rather than a spread: an explicit undefined (e.g. from a spec payload) keeps the default.
  const o = { ...options, backend: options.backend ?? defaults.backend, timeoutMs: options.timeoutMs ?? defaults.timeoutMs, keepParams: options.keepParams ?? defaults.keepParams };
  const config = validateModelConfig(o.config ?? {});
  checkMaxSteps(o.maxSteps);
  checkLocalSgd(o.localSgdEvery, o.checkpointDir);
  const backend = await initBackend(o.backend);
  const manifest = typeof o.data === 'string' ? await readManifest(o.data) : null;
  const group = await joinGroup({ rank: o.rank, worldSize: o.worldSize, host: o.host, port: o.port, timeoutMs: o.timeoutMs });
  try {
    return await trainRank(group, o, config, backend, manifest);
  } finally {
    await group.close();
  }
}

/** This rank's rows of every split, how they were chosen, and what identifies the dataset (for checkpoints). */
interface LoadedShare {
  train: SplitArrays;
  validation: SplitArrays;
  test: SplitArrays;
  by: RankReport['by'];
  width: number;
  dataChecksum: string;
  /** The generator's train statistics, when a manifest has them. */
  manifestStats: Standardization | null;
  what: string;
}

async function loadShare(o: DataParallelOptions, manifest: Manifest | null, rank: number, worldSize: number): Promise<LoadedShare> {
  if (typeof o.data === 'string') {
    const share = await loadRankShare(o.data, manifest!, rank, worldSize);
    return { ...share, width: manifest!.features.length, dataChecksum: datasetChecksum(manifest!), manifestStats: manifestStandardization(manifest!), what: `Dataset ${o.data}` };
  }
  const { stats: _, checksum: __, ...recipe } = o.data.synthetic;
  const share = generateRankShare(o.data.synthetic, rank, worldSize);
  return { ...share, by: 'tickers', width: FEATURE_COUNT, dataChecksum: contentHash({ synthetic: recipe }, 32), manifestStats: null, what: `The synthetic dataset ${JSON.stringify(recipe)}` };
}

function checkLocalSgd(every: number | undefined, checkpointDir: string | undefined): void {
  if (every === undefined) return;
  if (!Number.isInteger(every) || every < 1) {
    throw new CaplabError('bad-config', `localSgdEvery is ${JSON.stringify(every)}; it must be a positive integer (steps between parameter averages).`, {
      hint: 'Leave it out for exact data-parallel training.',
    });
  }
  if (checkpointDir !== undefined) {
    throw new CaplabError('bad-config', 'localSgdEvery cannot be combined with checkpointDir: ranks keep their own optimizer state, which a checkpoint of rank 0 would not restore.', {
      hint: 'Drop one of the two.',
    });
  }
}

async function trainRank(group: Group, o: DataParallelOptions & typeof defaults, config: ModelConfig, backend: string, manifest: Manifest | null): Promise<DataParallelResult> {
  const { rank, worldSize } = group;
  const share = await loadShare(o, manifest, rank, worldSize);
  const { width, train: local } = share;
  const rowsByRank = await allGatherCounts(group, local.rows);
  const validationRows = (await allGatherCounts(group, share.validation.rows)).reduce((a, n) => a + n, 0);
  const trainRows = rowsByRank.reduce((a, n) => a + n, 0);
  if (rowsByRank.some((n) => n === 0) || validationRows === 0) {
    throw new CaplabError('dataset-empty', `${share.what}: train rows by rank ${JSON.stringify(rowsByRank)}, ${validationRows} validation rows; every rank needs train rows, and the dataset validation rows.`, {
      hint: 'Use fewer ranks or a larger dataset.',
    });
  }

  const started = performance.now();
  const stats: Standardization = share.manifestStats ?? (await globalStandardization(group, local, width));
  if (typeof o.data !== 'string' && o.data.synthetic.stats) checkExpectedStats(stats, o.data.synthetic.stats);
  const scaler = scalerFrom(stats);
  const batchSize = Math.min(config.batchSize, Math.max(...rowsByRank));
  const localBatch = Math.min(batchSize, local.rows);
  const steps = Math.max(...rowsByRank.map((n) => Math.ceil(n / batchSize)));
  const shuffle = seededUniform(config.seed, TRAIN_STREAM.shuffle, rank);
  const source = rankSource(local, { batchSize: localBatch, scaler, random: shuffle, steps });
  const phases: StepPhases = { batch: 0, gradient: 0, exchange: 0, update: 0 };
  const evaluate = rankEvaluator(group, share.validation, share.test, scaler);

  // Same initial weights everywhere; a per-rank seed only changes the dropout stream.
  const mlp = new Mlp(width, { ...config, seed: rank === 0 ? config.seed : (config.seed + rank * 0x9e3779b1) >>> 0 }, initialParams(width, config));
  try {
    const checkpoints = o.checkpointDir
      ? await rankCheckpointing(group, o.checkpointDir, mlp, shuffle, { configHash: contentHash(config), dataChecksum: share.dataChecksum, worldSize, size: mlp.size })
      : null;
    const out = await runEpochs({
      mlp, source, step: o.localSgdEvery ? localSgdStep(mlp, group, source, phases, o.localSgdEvery) : allReduceStep(mlp, group, source, phases), validate: () => evaluate.valLoss(mlp),
      agree: (vote) => agreeToStop(group, vote),
      epochs: config.epochs, maxSteps: o.maxSteps, onProgress: o.onProgress, onEpoch: rank === 0 ? o.onEpoch : undefined, signal: o.signal,
      ...(checkpoints ? { resume: checkpoints.resume, onEpochEnd: checkpoints.onEpochEnd } : {}),
    });
    const params = mlp.getParams();
    const held = [local, share.validation, share.test].reduce((a, s) => a + s.x.byteLength + s.y.byteLength, 0);
    const report: RankReport = {
      rank,
      worldSize,
      backend,
      by: share.by,
      localRows: local.rows,
      rowsByRank,
      heldBytes: held,
      stats: share.manifestStats ? 'manifest' : 'all-reduce',
      stepsPerEpoch: Math.min(steps, o.maxSteps ?? Infinity),
      steps: out.steps,
      paramsSha256: sha256(params),
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      seconds: (performance.now() - started) / 1000,
      stepCpuSeconds: out.stepCpuSeconds,
      mode: o.localSgdEvery ? 'local-sgd' : 'exact',
      ...(o.localSgdEvery ? { localSgdEvery: o.localSgdEvery } : {}),
      stepPhases: phases,
    };
    const result: DataParallelResult = { rank: report, ...(checkpoints ? { resumedFromEpoch: checkpoints.resumedFromEpoch } : {}) };
    if (o.keepParams) result.params = params;
    // Every rank restores the best epoch and evaluates its share; rank 0 reports.
    if (out.bestParams) mlp.setParams(out.bestParams);
    const metrics = await evaluate.metrics(mlp, stats);
    if (rank === 0) result.train = trainResult(out, mlp, { backend, config, rows: trainRows, started, evaluator: { metrics: () => metrics }, stats });
    return result;
  } finally {
    mlp.dispose();
  }
}

/**
 * The regenerated data must be the data the caller means: its train statistics, reduced over
 * the ranks, must match the ones the caller's dataset recorded (another caplab version's
 * generator gives other rows, hence other statistics).
 */
function checkExpectedStats(got: Standardization, want: FeatureStats): void {
  const close = (a: number, b: number, scale: number) => Math.abs(a - b) <= 1e-9 * (Math.abs(b) + scale);
  const ok = got.rows === want.rows && close(got.yMean, want.targetMean, want.targetStd) && close(got.yStd, want.targetStd || 1, want.targetStd)
    && want.mean.every((m, j) => close(got.xMean[j], m, want.std[j])) && want.std.every((sd, j) => close(got.xStd[j], sd || 1, sd));
  if (!ok) {
    throw new CaplabError('bad-config', `The ranks regenerated a synthetic dataset whose train statistics (${got.rows} rows, target mean ${got.yMean}) differ from the caller's (${want.rows} rows, target mean ${want.targetMean}).`, {
      hint: 'The ranks run another caplab version than the one that made the local data: use an image built from this checkout.',
    });
  }
}

/**
 * The data-parallel gradient step: this rank's gradient weighted by its batch's rows, summed
 * over ranks in one exchange with the loss and the rows, so the update is exactly the gradient
 * over the union of the step's batches (a rank out of rows sends zeros). The next batch is
 * prefetched while the gradients travel.
 */
function allReduceStep(mlp: Mlp, group: Group, source: RankSource, phases: StepPhases): GradientStep {
  const size = mlp.size;
  // One exchange per step carries [gradient × rows, loss × rows, rows].
  const buf = new Float32Array(size + 2);
  const grad = buf.subarray(0, size);
  const k = group.worldSize;
  let prefetchMs = 0;
  const prefetch = () => {
    const t = performance.now();
    source.prefetch();
    prefetchMs = performance.now() - t;
  };
  return async (b) => {
    const t0 = performance.now();
    if (b.rows > 0) {
      const { loss } = mlp.gradient(b, grad);
      for (let i = 0; i < size; i++) grad[i] *= b.rows;
      buf[size] = loss * b.rows;
      buf[size + 1] = b.rows;
    } else buf.fill(0);
    const t1 = performance.now();
    prefetchMs = 0;
    await group.allReduceMean(buf, prefetch);
    const t2 = performance.now();
    // Means over ranks: Σ(g·rows)/k ÷ Σrows/k is the gradient over the step's union batch.
    const inv = 1 / buf[size + 1];
    for (let i = 0; i < size; i++) grad[i] *= inv;
    mlp.applyGradient(grad);
    const t3 = performance.now();
    phases.gradient += (t1 - t0) / 1000;
    phases.exchange += (t2 - t1 - prefetchMs) / 1000;
    phases.batch = source.fillSeconds;
    phases.update += (t3 - t2) / 1000;
    return { lossSum: buf[size] * k, rows: Math.round(buf[size + 1] * k) };
  };
}
