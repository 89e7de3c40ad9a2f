/** The shapes a search produces: what the store keeps per trial and what a run returns. */
import type { Provenance } from '../provenance.ts';
import type { ModelConfig } from '../train/config.ts';
import type { MetricsWithBaselines } from '../train/types.ts';
import type { SpecStatus } from '../spec/types.ts';

/** One trial: a full model config and the id derived from it. */
export interface Trial {
  /** Stable across runs and machines: a hash of the full config (so resume finds it). */
  id: string;
  config: ModelConfig;
}

/** One epoch of a trial's loss curve (losses are MSE on standardized targets). */
export interface TrialEpoch {
  epoch: number;
  loss?: number;
  valLoss: number;
  seconds?: number;
}

/** One line of trials.jsonl: a finished trial (ok, failed or early-stopped). */
export interface TrialRecord {
  trialId: string;
  status: SpecStatus;
  /** Why it failed or stopped, in words. */
  reason?: string;
  /** Failure class: 'oom', 'crash', 'bad-config', 'early-stop', … */
  failure?: string;
  config: ModelConfig;
  /** Validation and test metrics (test is reported, never used to choose). Absent when it failed. */
  metrics?: { validation: MetricsWithBaselines; test: MetricsWithBaselines };
  epochs: TrialEpoch[];
  bestEpoch?: number;
  /** Wall time of the trial as the executor saw it (process start-up included). */
  seconds: number;
  /** Training time inside the worker, when it got that far. */
  trainSeconds?: number;
  rows?: number;
  rowsPerSecond?: number;
  backend?: string;
  /** Which worker ran it: "seq-0", "pool-3", a pod name. */
  worker: string;
  startedAt: string;
  finishedAt: string;
  provenance: Provenance;
}

/** The best trial of a search, chosen by validation MSE. */
export interface SearchBest {
  trialId: string;
  config: ModelConfig;
  validation: { mse: number; rmse: number; mae: number; r2: number; directionalAccuracy: number };
}

/** Live state of a running search, for progress lines. */
export interface SearchStatus {
  /** Trials with a result (this run and earlier ones when resuming). */
  done: number;
  total: number;
  running: number;
  failed: number;
  stopped: number;
  best?: { trialId: string; mse: number };
  elapsedSeconds: number;
  /** From this run's pace so far; absent until a trial has finished. */
  etaSeconds?: number;
}
