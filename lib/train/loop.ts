/**
 * The epoch loop shared by single-process training (trainModel) and every data-parallel rank
 * (trainDataParallel): epochs of gradient steps, validation, the best epoch by validation loss,
 * the stop reasons, the max-steps check and the result. The two differ only in what they pass
 * in: the gradient step (local, or averaged over ranks) and the source (all rows, or a rank's).
 */
import { CaplabError } from '../errors.ts';
import type { ProgressHook } from '../progress.ts';
import type { ModelConfig } from './config.ts';
import type { EpochSource } from './epoch-source.ts';
import type { Evaluator } from './evaluate.ts';
import type { Batch, Mlp } from './mlp.ts';
import type { Standardization } from './scaling.ts';
import type { EpochReport, TrainResult } from './types.ts';

/** What one step trained on, over every process: the batch's loss × rows, and its rows. */
export interface StepOutcome {
  lossSum: number;
  rows: number;
}

/** Turns a batch into one optimizer update (a rank's batch may have 0 rows: it still takes part). */
export type GradientStep = (batch: Batch) => StepOutcome | Promise<StepOutcome>;

/** Stop verdicts, as small integers so ranks can exchange them. */
export const VERDICT = { go: 0, stop: 1, diverged: 2 } as const;
export type Verdict = (typeof VERDICT)[keyof typeof VERDICT];

/** A stop decision: the deciding process's verdict, and whether an abort was seen. */
export interface StopVote {
  verdict: Verdict;
  aborted: boolean;
}

/**
 * Makes every process take the same decision: data-parallel ranks take rank 0's verdict and stop
 * if any rank was aborted. A single process decides alone (the default).
 */
export type AgreeToStop = (vote: StopVote) => Promise<StopVote>;

export interface LoopOptions {
  mlp: Mlp;
  source: EpochSource;
  step: GradientStep;
  /**
   * Validation loss of the current weights (a data-parallel rank's may reduce over the ranks, hence
   * a promise), or null on a process that does not validate.
   */
  validate: (() => number | Promise<number>) | null;
  /** Default: decide alone. */
  agree?: AgreeToStop;
  epochs: number;
  /** Cap on steps per epoch. Default no cap. */
  maxSteps?: number;
  onProgress?: ProgressHook;
  /** Called after each epoch on the validating process; 'stop' ends training (on every rank). */
  onEpoch?: (e: EpochReport) => 'stop' | void;
  signal?: AbortSignal;
  /** Continue a run where a checkpoint left it: epochs from `resume.epoch + 1`, the best epoch and curve so far kept. */
  resume?: LoopProgress;
  /**
   * Called on every process after each epoch, once the processes agreed whether to go on (so a
   * stop still gets its checkpoint), with the run so far. Data-parallel ranks all call it: it may
   * exchange with the group.
   */
  onEpochEnd?: (progress: LoopProgress) => Promise<void>;
}

/** Where a run stands after an epoch: what a checkpoint keeps besides the model and random streams. */
export interface LoopProgress {
  /** Epochs completed. */
  epoch: number;
  epochs: EpochReport[];
  bestEpoch: number;
  /** Infinity until an epoch validated (and on processes that do not validate). */
  bestValLoss: number;
  bestParams: Float32Array | null;
  trainSeconds: number;
  trainedRows: number;
  steps: number;
}

export interface LoopOutcome {
  /** One report per epoch, on the validating process only. */
  epochs: EpochReport[];
  /** 1-based best epoch by validation loss; 0 when no epoch improved on the initial weights. */
  bestEpoch: number;
  /** The best epoch's parameters (the initial ones when bestEpoch is 0); null where nothing validates. */
  bestParams: Float32Array | null;
  stoppedReason?: string;
  /** Seconds spent in gradient steps (validation excluded), and the rows they trained. */
  trainSeconds: number;
  trainedRows: number;
  /** Optimizer steps taken. */
  steps: number;
  /** CPU time of this process (all threads) in each epoch's steps, validation excluded. */
  stepCpuSeconds: number[];
}

/** Longest stretch of work without yielding to the event loop (abort signals, IPC, UI). */
const YIELD_EVERY_MS = 200;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

const decideAlone: AgreeToStop = async (vote) => vote;

/** maxSteps, when given, must be a positive integer. */
export function checkMaxSteps(maxSteps: number | undefined): void {
  if (maxSteps !== undefined && (!Number.isInteger(maxSteps) || maxSteps < 1)) {
    throw new CaplabError('bad-config', `maxSteps is ${JSON.stringify(maxSteps)}; it must be a positive integer (steps per epoch).`);
  }
}

/** Runs the epochs; the caller assembles the result (trainResult) from the outcome. */
export async function runEpochs(o: LoopOptions): Promise<LoopOutcome> {
  const agree = o.agree ?? decideAlone;
  const r = o.resume;
  const out: LoopOutcome = r
    ? { epochs: [...r.epochs], bestEpoch: r.bestEpoch, bestParams: r.bestParams, trainSeconds: r.trainSeconds, trainedRows: r.trainedRows, steps: r.steps, stepCpuSeconds: [] }
    : { epochs: [], bestEpoch: 0, bestParams: o.validate ? o.mlp.getParams() : null, trainSeconds: 0, trainedRows: 0, steps: 0, stepCpuSeconds: [] };
  let bestValLoss = r ? r.bestValLoss : Infinity;
  if ((await agree({ verdict: VERDICT.go, aborted: o.signal?.aborted ?? false })).aborted) {
    out.stoppedReason = 'aborted';
    return out;
  }
  for (let epoch = (r?.epoch ?? 0) + 1; epoch <= o.epochs; epoch++) {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const { lossSum, rows, steps } = await trainEpoch(o);
    const stepSeconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    out.stepCpuSeconds.push((cpu.user + cpu.system) / 1e6);
    const loss = lossSum / rows;
    out.trainSeconds += stepSeconds;
    out.trainedRows += rows;
    out.steps += steps;
    const valLoss = await o.validate?.();
    o.onProgress?.({ kind: 'epoch', epoch, epochs: o.epochs, loss, ...(valLoss === undefined ? {} : { valLoss }), seconds: (performance.now() - t0) / 1000 });
    let verdict: Verdict = VERDICT.go;
    if (valLoss !== undefined) {
      const report: EpochReport = { epoch, loss, valLoss, rows, seconds: (performance.now() - t0) / 1000, rowsPerSecond: rows / stepSeconds };
      out.epochs.push(report);
      if (valLoss < bestValLoss) {
        bestValLoss = valLoss;
        out.bestEpoch = epoch;
        out.bestParams = o.mlp.getParams();
      }
      const said = o.onEpoch?.(report);
      if (!Number.isFinite(loss) || !Number.isFinite(valLoss)) verdict = VERDICT.diverged;
      else if (said === 'stop') verdict = VERDICT.stop;
    }
    await yieldToEventLoop();
    const agreed = await agree({ verdict, aborted: o.signal?.aborted ?? false });
    if (agreed.verdict === VERDICT.diverged) out.stoppedReason = `diverged at epoch ${epoch} (loss ${loss}); lower the learning rate`;
    else if (agreed.verdict === VERDICT.stop) out.stoppedReason = `stopped by onEpoch after epoch ${epoch}`;
    else if (agreed.aborted) out.stoppedReason = `aborted after epoch ${epoch}`;
    await o.onEpochEnd?.({ epoch, epochs: out.epochs, bestEpoch: out.bestEpoch, bestValLoss, bestParams: out.bestParams, trainSeconds: out.trainSeconds, trainedRows: out.trainedRows, steps: out.steps });
    if (out.stoppedReason !== undefined) break;
  }
  return out;
}

/** One epoch of steps; yields to the event loop now and then so aborts and IPC get through. */
async function trainEpoch(o: LoopOptions): Promise<StepOutcome & { steps: number }> {
  const sum = { lossSum: 0, rows: 0, steps: 0 };
  let lastYield = performance.now();
  await o.source.run(async (batch) => {
    const r = await o.step(batch);
    sum.lossSum += r.lossSum;
    sum.rows += r.rows;
    sum.steps++;
    if (performance.now() - lastYield > YIELD_EVERY_MS) {
      await yieldToEventLoop();
      lastYield = performance.now();
    }
  }, o.maxSteps ?? Infinity);
  return sum;
}

/** What the result says beside the loop's outcome. */
export interface ResultContext {
  backend: string;
  config: ModelConfig;
  /** Rows of the whole train split (over every rank). */
  rows: number;
  /** performance.now() when training started (loading excluded). */
  started: number;
  /** The metrics of the restored best weights (a data-parallel rank passes ones it reduced over the ranks). */
  evaluator: Pick<Evaluator, 'metrics'>;
  stats: Standardization;
}

/** Restores the best epoch's weights into `mlp` and reports its metrics beside the losses. */
export function trainResult(out: LoopOutcome, mlp: Mlp, c: ResultContext): TrainResult {
  if (out.bestParams) mlp.setParams(out.bestParams);
  const metrics = c.evaluator.metrics(mlp, c.stats);
  const result: TrainResult = {
    backend: c.backend,
    config: c.config,
    rows: c.rows,
    seconds: (performance.now() - c.started) / 1000,
    rowsPerSecond: out.trainSeconds > 0 ? out.trainedRows / out.trainSeconds : 0,
    epochs: out.epochs,
    bestEpoch: out.bestEpoch,
    stoppedEarly: out.stoppedReason !== undefined,
    metrics,
  };
  if (out.stoppedReason !== undefined) result.stoppedReason = out.stoppedReason;
  return result;
}
