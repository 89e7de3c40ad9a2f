/**
 * trainDataParallel: ONE rank of data-parallel training. Each rank holds only its share of the
 * train rows; every step it computes the gradient on a local batch of `batchSize` rows, the
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
 *   generator) when present, else combined from every rank's rows.
 * - Validation (best epoch) and test metrics run on rank 0 only; it alone loads those splits.
 *   Stop decisions (onEpoch, divergence, any rank's abort signal) are agreed before the first
 *   epoch and at each epoch's end.
 */
import { createHash } from 'node:crypto';
import { CaplabError } from '../errors.ts';
import { readManifest } from '../data/manifest.ts';
import type { ProgressHook } from '../progress.ts';
import { initBackend } from '../train/backend.ts';
import { scalerFrom } from '../train/batches.ts';
import { validateModelConfig, type ModelConfig } from '../train/config.ts';
import { loadDataset } from '../train/dataset.ts';
import { evaluator } from '../train/evaluate.ts';
import { checkMaxSteps, runEpochs, trainResult, type GradientStep } from '../train/loop.ts';
import { initialParams, Mlp } from '../train/mlp.ts';
import { seededUniform, TRAIN_STREAM } from '../train/rng.ts';
import type { Standardization } from '../train/scaling.ts';
import type { BackendChoice, EpochReport, InMemoryDataset, TrainResult } from '../train/types.ts';
import { agreeToStop, allGatherCounts, globalStandardization, manifestStandardization } from './collectives.ts';
import { joinGroup, type Group } from './group.ts';
import { loadRankShare } from './rank-data.ts';
import { rankSource, type RankSource } from './rank-source.ts';
import { rankCheckpointing } from './rank-checkpoint.ts';
import { contentHash } from '../util/canonical.ts';
import { datasetChecksum } from '../search/store.ts';

export interface DataParallelOptions {
  /** This rank, 0 … worldSize − 1. Rank 0 is the rendezvous point and reports the metrics. */
  rank: number;
  worldSize: number;
  /** Host of rank 0 (locally 127.0.0.1; on Kubernetes `<job>-0.<service>`). */
  host: string;
  port: number;
  /** Dataset folder every rank can read (manifest.json + .npy shards). */
  data: string;
  /** Model config; `batchSize` is per rank. Missing fields take DEFAULT_MODEL_CONFIG's values. */
  config?: Partial<ModelConfig>;
  /** Default 'auto'. */
  backend?: BackendChoice;
  /** Rendezvous and per-step wait for peers (covers the slowest rank's data loading). Default 120 000 ms. */
  timeoutMs?: number;
  /** Epoch events on every rank (`valLoss` only on rank 0). */
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
  /** How the train rows were divided: whole shards by rank, or contiguous row ranges (fewer shards than ranks). */
  by: 'shards' | 'rows';
  /** Train rows this rank held in memory, and every rank's count (rowsByRank[rank] === localRows). */
  localRows: number;
  rowsByRank: number[];
  /** Bytes of train data this rank held (x and y arrays). */
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
  /** Where this rank's step time went, in seconds summed over every step (see StepPhases). */
  stepPhases: StepPhases;
}

/**
 * A step's wall time by phase, summed over steps. `exchange` is the all-reduce less the batch
 * prefetched inside it: on a rank whose peers are as fast as it, only transfer and summing; on
 * a rank that waits for a slower (or descheduled) peer, mostly that wait.
 */
export interface StepPhases {
  /** Copying and standardizing batches: before a step, or prefetched during the exchange. */
  batch: number;
  /** Forward and backward pass (this rank's gradient). */
  gradient: number;
  exchange: number;
  /** The optimizer update from the averaged gradient. */
  update: number;
}

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
  const backend = await initBackend(o.backend);
  const manifest = await readManifest(o.data);
  const group = await joinGroup({ rank: o.rank, worldSize: o.worldSize, host: o.host, port: o.port, timeoutMs: o.timeoutMs });
  try {
    return await trainRank(group, o, config, backend, manifest);
  } finally {
    await group.close();
  }
}

async function trainRank(
  group: Group,
  o: DataParallelOptions & typeof defaults,
  config: ModelConfig,
  backend: string,
  manifest: Awaited<ReturnType<typeof readManifest>>,
): Promise<DataParallelResult> {
  const { rank, worldSize } = group;
  const width = manifest.features.length;
  const share = await loadRankShare(o.data, manifest, rank, worldSize);
  const local = share.train;
  const evalData: InMemoryDataset | null = rank === 0 ? await loadDataset(o.data, { splits: ['validation', 'test'] }) : null;
  const rowsByRank = await allGatherCounts(group, local.rows);
  const trainRows = rowsByRank.reduce((a, n) => a + n, 0);
  if (rowsByRank.some((n) => n === 0) || (evalData && evalData.validation.rows === 0)) {
    throw new CaplabError('dataset-empty', `Dataset ${o.data}: train rows by rank ${JSON.stringify(rowsByRank)}${evalData ? `, ${evalData.validation.rows} validation rows` : ''}; every rank needs train rows and rank 0 validation rows.`, {
      hint: 'Use fewer ranks or a larger dataset.',
    });
  }

  const started = performance.now();
  const fromManifest = manifestStandardization(manifest);
  const stats: Standardization = fromManifest ?? (await globalStandardization(group, local, width, rowsByRank));
  const scaler = scalerFrom(stats);
  const batchSize = Math.min(config.batchSize, Math.max(...rowsByRank));
  const localBatch = Math.min(batchSize, local.rows);
  const steps = Math.max(...rowsByRank.map((n) => Math.ceil(n / batchSize)));
  const shuffle = seededUniform(config.seed, TRAIN_STREAM.shuffle, rank);
  const source = rankSource(local, { batchSize: localBatch, scaler, random: shuffle, steps });
  const phases: StepPhases = { batch: 0, gradient: 0, exchange: 0, update: 0 };
  const evaluate = evalData ? evaluator(evalData.validation, evalData.test, scaler) : null;

  // Same initial weights everywhere; a per-rank seed only changes the dropout stream.
  const mlp = new Mlp(width, { ...config, seed: rank === 0 ? config.seed : (config.seed + rank * 0x9e3779b1) >>> 0 }, initialParams(width, config));
  try {
    const checkpoints = o.checkpointDir
      ? await rankCheckpointing(group, o.checkpointDir, mlp, shuffle, { configHash: contentHash(config), dataChecksum: datasetChecksum(manifest), worldSize, size: mlp.size })
      : null;
    const out = await runEpochs({
      mlp, source, step: allReduceStep(mlp, group, source, phases), validate: evaluate && (() => evaluate.valLoss(mlp)),
      agree: (vote) => agreeToStop(group, vote),
      epochs: config.epochs, maxSteps: o.maxSteps, onProgress: o.onProgress, onEpoch: o.onEpoch, signal: o.signal,
      ...(checkpoints ? { resume: checkpoints.resume, onEpochEnd: checkpoints.onEpochEnd } : {}),
    });
    const params = mlp.getParams();
    const report: RankReport = {
      rank,
      worldSize,
      backend,
      by: share.by,
      localRows: local.rows,
      rowsByRank,
      heldBytes: local.x.byteLength + local.y.byteLength,
      stats: fromManifest ? 'manifest' : 'all-reduce',
      stepsPerEpoch: Math.min(steps, o.maxSteps ?? Infinity),
      steps: out.steps,
      paramsSha256: sha256(params),
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      seconds: (performance.now() - started) / 1000,
      stepCpuSeconds: out.stepCpuSeconds,
      stepPhases: phases,
    };
    const result: DataParallelResult = { rank: report, ...(checkpoints ? { resumedFromEpoch: checkpoints.resumedFromEpoch } : {}) };
    if (o.keepParams) result.params = params;
    if (evaluate) result.train = trainResult(out, mlp, { backend, config, rows: trainRows, started, evaluator: evaluate, stats });
    return result;
  } finally {
    mlp.dispose();
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
