/**
 * Stored results written the way the search and probe write them, with chosen times and places,
 * so comparison tests know every figure they expect.
 */
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { appendTrialRecord, expandSearchSpace, openExperiment, type ExperimentMeta, type SearchSpace, type TrialRecord } from '../../lib/search/index.ts';
import type { Provenance } from '../../lib/provenance.ts';
import type { ProbeReport } from '../../lib/memory/probe.ts';
import { TRAIN_RESULT_KIND, type StoredTrainResult } from '../../lib/report/stored-train.ts';

export const SPACE: SearchSpace = { name: 'test', type: 'grid', params: { hidden: [[8], [16]], learningRate: [1e-3, 1e-2] }, fixed: { epochs: 1 } };
export const GiB = 1024 ** 3;

export function localPlace(executor: Provenance['executor'], over: Partial<Provenance> = {}): Provenance {
  return { executor, host: 'laptop', cores: 4, totalMemoryBytes: 16 * GiB, node: 'v24.0.0', backend: 'wasm', versions: { caplab: '0.1.0', node: 'v24.0.0' }, ...over };
}

export function podPlace(context: string, node: string, over: Partial<NonNullable<Provenance['cluster']>> = {}): Provenance {
  return {
    ...localPlace('kubernetes'),
    host: node,
    cores: 8,
    totalMemoryBytes: 32 * GiB,
    cluster: { context, serverVersion: 'v1.34.12', node, pod: `pod-${node}`, cpu: '1', memory: '1Gi', ...over },
  };
}

export interface TrialTiming {
  /** Seconds after t0 the trial started, its wall seconds and its training seconds. */
  start: number;
  seconds: number;
  train: number;
  worker: string;
  provenance: Provenance;
}

const T0 = Date.parse('2026-12-01T10:00:00Z');

/** Writes an experiment folder whose trials ran at the given times and places. */
export async function writeExperiment(dir: string, timings: (i: number) => TrialTiming, over: { checksum?: string; space?: SearchSpace; backend?: string } = {}): Promise<ExperimentMeta> {
  const space = over.space ?? SPACE;
  const trials = expandSearchSpace(space);
  const meta: ExperimentMeta = {
    schemaVersion: 1,
    kind: 'caplab-experiment',
    createdAt: new Date(T0).toISOString(),
    space,
    seed: null,
    data: { dir: '/data/base', checksum: over.checksum ?? 'c0ffee', rows: { train: 700, validation: 150, test: 150, total: 1000 } },
    earlyStop: null,
    trials,
  };
  await openExperiment(dir, meta, { force: true });
  for (const [i, t] of trials.entries()) {
    const x = timings(i);
    const record: TrialRecord = {
      trialId: t.id,
      status: 'ok',
      config: t.config,
      epochs: [{ epoch: 1, valLoss: 0.9 }],
      seconds: x.seconds,
      trainSeconds: x.train,
      backend: over.backend ?? 'wasm',
      worker: x.worker,
      startedAt: new Date(T0 + x.start * 1000).toISOString(),
      finishedAt: new Date(T0 + (x.start + x.seconds) * 1000).toISOString(),
      provenance: x.provenance,
    };
    await appendTrialRecord(dir, record);
  }
  return meta;
}

/** Four trials of 10 s (8 s training): one after another, two at a time, and four pods at once. */
export async function writeThreeRuns(root: string, clusterContext = 'prod-east') {
  const seq = join(root, 'search-t-sequential');
  const pool = join(root, 'search-t-pool');
  const kube = join(root, 'search-t-kubernetes');
  await writeExperiment(seq, (i) => ({ start: i * 10, seconds: 10, train: 8, worker: 'seq-0', provenance: localPlace('sequential') }));
  await writeExperiment(pool, (i) => ({ start: Math.floor(i / 2) * 10, seconds: 10, train: 8, worker: `pool-${i % 2}`, provenance: localPlace('pool') }));
  await writeExperiment(kube, (i) => ({ start: 1, seconds: 10, train: 8, worker: `job-${i}`, provenance: podPlace(clusterContext, `node-${i % 3}`) }));
  return { seq, pool, kube };
}

export function probeReport(over: Partial<ProbeReport> = {}): ProbeReport {
  const MiB = 2 ** 20;
  return {
    kind: 'caplab-memory-probe',
    schemaVersion: 1,
    createdAt: '2026-12-01T09:00:00.000Z',
    budgetBytes: 300 * MiB,
    budgetSource: 'budget 300MiB',
    heapLimitMiB: null,
    steps: 100,
    tickers: 100,
    days: 1260,
    runs: [
      { scale: 1, outcome: 'ok', rows: 100_000, features: 18, peakBytes: 150 * MiB, seconds: 3 },
      { scale: 2, outcome: 'ok', rows: 200_000, features: 18, peakBytes: 200 * MiB, seconds: 5 },
      { scale: 5, outcome: 'over-budget', rows: 500_000, features: 18, peakBytes: 301 * MiB, seconds: 4, reason: 'peak 301 MiB over the 300 MiB budget' },
      { scale: 10, outcome: 'skipped', rows: 1_000_000, rowsEstimated: true, features: 18, peakBytes: null, seconds: null },
    ],
    fit: { fixedBytes: 100 * MiB, bytesPerRow: 500, points: 2, r2: 1, rawBytesPerRow: 76 } as unknown as ProbeReport['fit'],
    largestOkScale: 2,
    predictedMaxScale: 4,
    maxPodBytes: 300 * MiB,
    plan: [{ scale: 5, outcome: 'over-budget', fitsBudget: false, rows: 500_000, needBytes: 350 * MiB, pods: 2, podShareBytes: 225 * MiB, podMemory: '282Mi', podMemoryBytes: 282 * MiB, text: '~350 MiB → 2 pods × 282Mi' }],
    provenance: localPlace('sequential'),
    seconds: 12,
    ...over,
  };
}

export function trainResult(way: StoredTrainResult['way'], scale: number, over: Partial<StoredTrainResult> = {}): StoredTrainResult {
  return {
    kind: TRAIN_RESULT_KIND,
    schemaVersion: 1,
    createdAt: '2026-12-01T11:00:00.000Z',
    way,
    data: { dir: `/data/x${scale}`, checksum: `sum-${scale}`, trainRows: 70_000 * scale, source: { type: 'synthetic', seed: 42, scale, tickers: 100 * scale, days: 1260, baseTickers: 100 } },
    config: { hidden: [64, 32], activation: 'relu', dropout: 0, learningRate: 0.001, batchSize: 256, epochs: 1, optimizer: 'adam', seed: 7 },
    backend: 'wasm',
    rows: 70_000 * scale,
    seconds: 10,
    rowsPerSecond: 7_000 * scale,
    epochs: [{ epoch: 1, loss: 1, valLoss: 1, seconds: 10 }],
    bestEpoch: 1,
    provenance: localPlace('inline'),
    ...over,
  };
}

export async function writeJson(path: string, value: unknown): Promise<string> {
  await writeFile(path, JSON.stringify(value, null, 2));
  return path;
}
