/**
 * Spec kind 'probe': the child side of the memory probe. Loads one dataset into memory and trains
 * on it for a fixed number of steps (or one epoch), so the parent can watch how much memory that
 * takes. An allocation failure is thrown like any error: the worker entry tells it apart
 * (lib/spec/oom.ts) and exits with `EXIT_OUT_OF_MEMORY`, so the parent can tell "ran out of
 * memory" from "crashed".
 */
import type { Spec, WorkerContext } from '../spec/types.ts';
import { CaplabError } from '../errors.ts';
import { loadDataset } from '../train/dataset.ts';
import { initBackend } from '../train/backend.ts';
import { trainModel } from '../train/train.ts';
import type { BackendChoice } from '../train/types.ts';
import type { ModelConfig } from '../train/config.ts';

export interface ProbeSpecPayload {
  /** Dataset folder to load. */
  dataDir: string;
  /** Gradient steps to train; 0 trains one full epoch. */
  steps: number;
  /** Default 'auto'. */
  backend?: BackendChoice;
  /** Model config for the run (epochs is always 1). */
  config?: Partial<ModelConfig>;
}

export interface ProbeWorkerResult {
  /** Rows held in memory (all splits) and training rows. */
  rows: number;
  trainRows: number;
  features: number;
  backend: string;
  loadSeconds: number;
  trainSeconds: number;
  /** The process's own peak resident memory (getrusage maxRSS). */
  maxRssBytes: number;
  /** Memory use at the end, by kind (process.memoryUsage()). */
  heapUsedBytes: number;
  arrayBuffersBytes: number;
}

export type ProbeSpec = Spec<ProbeSpecPayload, 'probe'>;

export async function runSpec(spec: ProbeSpec, ctx: WorkerContext): Promise<ProbeWorkerResult> {
  const p = (spec.payload ?? {}) as ProbeSpecPayload;
  if (typeof p.dataDir !== 'string' || !p.dataDir) {
    throw new CaplabError('bad-config', `Probe spec ${spec.id} has no payload.dataDir.`);
  }
  const steps = p.steps ?? 0;
  if (!Number.isInteger(steps) || steps < 0) {
    throw new CaplabError('bad-config', `Probe spec ${spec.id}: payload.steps must be an integer ≥ 0, got ${JSON.stringify(p.steps)}.`);
  }
  const t0 = performance.now();
  const backend = await initBackend(p.backend ?? 'auto');
  const data = await loadDataset(p.dataDir);
  const loadSeconds = (performance.now() - t0) / 1000;
  const rows = data.train.rows + data.validation.rows + data.test.rows;
  ctx.report({ phase: 'loaded', rows, seconds: loadSeconds });
  const t1 = performance.now();
  await trainModel(data, {
    config: { ...p.config, epochs: 1 },
    backend: p.backend ?? 'auto',
    maxSteps: steps > 0 ? steps : undefined,
    signal: ctx.signal,
  });
  const trainSeconds = (performance.now() - t1) / 1000;
  const mem = process.memoryUsage();
  return {
    rows,
    trainRows: data.train.rows,
    features: data.features.length,
    backend,
    loadSeconds,
    trainSeconds,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    heapUsedBytes: mem.heapUsed,
    arrayBuffersBytes: mem.arrayBuffers,
  };
}
