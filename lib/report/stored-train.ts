/**
 * A training run as a stored result, so the comparison (notebook 07, `caplab compare`) can read
 * it later instead of training again. One JSON file per run. The same shape holds the three ways
 * of training a scale: in memory and streamed on this machine, and data-parallel on a cluster
 * (`ranks` set, provenance from the pods). Write one with `saveTrainResult`:
 *
 *   const r = await caplab.trainModel(dir, { streamed: true });
 *   await caplab.saveTrainResult(caplab.resultsPath('train-quick-streamed.json'),
 *     caplab.trainResultRecord(r, { way: 'streamed', manifest: await caplab.readManifest(dir), dataDir: dir }));
 */
import { readFile } from 'node:fs/promises';
import { CaplabError } from '../errors.ts';
import type { Manifest } from '../data/manifest.ts';
import { localProvenance, type Provenance } from '../provenance.ts';
import { datasetChecksum } from '../search/store.ts';
import type { ModelConfig } from '../train/config.ts';
import type { TrainResult } from '../train/types.ts';
import type { ClusterTrainResult } from '../distributed/cluster-train.ts';
import { writeFileAtomic } from '../util/atomic.ts';

export const TRAIN_RESULT_KIND = 'caplab-train-result';

/** How the rows reached the model: all in one process's memory, read from disk, or spread over ranks. */
export type TrainWay = 'in-memory' | 'streamed' | 'data-parallel';

/** One rank of a data-parallel run, as its pod measured it. */
export interface StoredRank {
  rank: number;
  /** Pod and node it ran on (cluster runs). */
  pod?: string;
  node?: string;
  /** Training rows this rank held. */
  rows: number;
  /** Bytes of data it held in memory. */
  bytesHeld?: number;
  /** Its peak resident memory, and the limit it ran under (the pod's memory limit). */
  peakBytes?: number;
  limitBytes?: number;
  seconds?: number;
}

export interface StoredTrainResult {
  kind: typeof TRAIN_RESULT_KIND;
  schemaVersion: 1;
  createdAt: string;
  way: TrainWay;
  /** The dataset: its checksum (contents, not path), training rows and where it came from. */
  data: { dir: string; checksum: string; trainRows: number; source: Manifest['source'] };
  /** The model config; for a data-parallel run its batchSize is the combined batch (ranks × rankBatchSize). */
  config: ModelConfig;
  /** Data-parallel runs: each rank's own batch. */
  rankBatchSize?: number;
  backend: string;
  /** Training rows per pass. */
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  epochs: Array<{ epoch: number; loss: number; valLoss: number; seconds: number }>;
  bestEpoch: number;
  validationMse?: number;
  /** Peak resident memory of the one training process, and the limit it ran under, when measured. */
  peakBytes?: number | null;
  limitBytes?: number | null;
  /** Data-parallel runs: one entry per rank. */
  ranks?: StoredRank[];
  /** Data-parallel runs: each rank's provenance (pod, node, limits), for where it ran. */
  rankProvenances?: Provenance[];
  /** Data-parallel runs on a cluster: the run id, its finishing Job, attempts and the checkpoint epoch it resumed from. */
  job?: { run: string; name: string; attempts: number; resumedFromEpoch: number | null };
  /** Pod-seconds (or process-seconds) the run used: the sum of its ranks' wall times. */
  podSeconds?: number;
  provenance: Provenance;
}

export interface TrainResultRecordOptions {
  way: TrainWay;
  dataDir: string;
  manifest: Manifest;
  peakBytes?: number | null;
  limitBytes?: number | null;
  ranks?: StoredRank[];
  rankProvenances?: Provenance[];
  job?: StoredTrainResult['job'];
  podSeconds?: number;
  /** Default: this machine, executor 'inline'. */
  provenance?: Provenance;
}

/** A stored-result record of a finished `trainModel` run. */
export function trainResultRecord(result: TrainResult, o: TrainResultRecordOptions): StoredTrainResult {
  return {
    kind: TRAIN_RESULT_KIND,
    schemaVersion: 1,
    createdAt: new Date().toISOString(),
    way: o.way,
    data: { dir: o.dataDir, checksum: datasetChecksum(o.manifest), trainRows: o.manifest.rows.train, source: o.manifest.source },
    config: result.config,
    backend: result.backend,
    rows: result.rows,
    seconds: result.seconds,
    rowsPerSecond: result.rowsPerSecond,
    epochs: result.epochs.map((e) => ({ epoch: e.epoch, loss: e.loss, valLoss: e.valLoss, seconds: e.seconds })),
    bestEpoch: result.bestEpoch,
    validationMse: result.metrics?.validation.mse,
    ...(o.peakBytes !== undefined ? { peakBytes: o.peakBytes } : {}),
    ...(o.limitBytes !== undefined ? { limitBytes: o.limitBytes } : {}),
    ...(o.ranks ? { ranks: o.ranks } : {}),
    ...(o.rankProvenances ? { rankProvenances: o.rankProvenances } : {}),
    ...(o.job ? { job: o.job } : {}),
    ...(o.podSeconds !== undefined ? { podSeconds: o.podSeconds } : {}),
    provenance: o.provenance ?? localProvenance('inline', result.backend),
  };
}

/** A stored-result record of a finished data-parallel run on a cluster (`way: 'data-parallel'`, one entry per rank). */
export function clusterTrainRecord(r: ClusterTrainResult, o: { dataDir: string; manifest: Manifest }): StoredTrainResult {
  // K ranks at batch b train the model one process trains at K·b: that is the config the run is
  // compared by, and the per-rank batch is kept beside it.
  const rankBatchSize = r.train.config.batchSize;
  const record = trainResultRecord(r.train, {
    way: 'data-parallel',
    dataDir: o.dataDir,
    manifest: o.manifest,
    ranks: r.ranks.map((k) => ({
      rank: k.rank,
      ...(k.pod ? { pod: k.pod } : {}),
      ...(k.node ? { node: k.node } : {}),
      rows: k.localRows,
      bytesHeld: k.heldBytes,
      peakBytes: k.peakRssBytes,
      ...(k.limitBytes ? { limitBytes: k.limitBytes } : {}),
      seconds: k.seconds,
    })),
    rankProvenances: r.provenances,
    job: { run: r.job.run, name: r.job.name, attempts: r.job.attempts, resumedFromEpoch: r.job.resumedFromEpoch },
    podSeconds: r.ranks.reduce((a, k) => a + k.seconds, 0),
    provenance: r.provenance,
  });
  return { ...record, config: { ...record.config, batchSize: rankBatchSize * r.ranks.length }, rankBatchSize };
}

/** Writes the record atomically (a reader sees the old file or the new one). */
export async function saveTrainResult(path: string, record: StoredTrainResult): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(checkTrainResult(record, path), null, 2) + '\n');
}

/** Reads and checks a stored training result. */
export async function readTrainResult(path: string): Promise<StoredTrainResult> {
  return checkTrainResult(JSON.parse(await readFile(path, 'utf8')), path);
}

const WAYS: readonly TrainWay[] = ['in-memory', 'streamed', 'data-parallel'];

/**
 * Checks the shape of a stored training result, naming the first field that is wrong. Cluster
 * training (notebook 06) writes this same shape with `way: 'data-parallel'` and `ranks`.
 */
export function checkTrainResult(value: unknown, where: string): StoredTrainResult {
  const bad = (field: string, rule: string): never => {
    throw new CaplabError('bad-result', `${where}: field "${field}" ${rule}.`, {
      hint: 'Training results are written by saveTrainResult (see lib/report/stored-train.ts for the shape).',
    });
  };
  if (!value || typeof value !== 'object') bad('(top level)', 'must be an object');
  const v = value as Record<string, unknown>;
  if (v.kind !== TRAIN_RESULT_KIND) bad('kind', `must be "${TRAIN_RESULT_KIND}", got ${JSON.stringify(v.kind)}`);
  if (v.schemaVersion !== 1) bad('schemaVersion', `must be 1, got ${JSON.stringify(v.schemaVersion)}`);
  if (!WAYS.includes(v.way as TrainWay)) bad('way', `must be one of ${WAYS.join(', ')}, got ${JSON.stringify(v.way)}`);
  const data = v.data as Record<string, unknown> | undefined;
  if (!data || typeof data.checksum !== 'string' || !data.checksum) bad('data.checksum', 'must be the dataset checksum (a string)');
  if (!data!.source || typeof data!.source !== 'object') bad('data.source', "must be the dataset manifest's source");
  for (const f of ['rows', 'seconds', 'rowsPerSecond'] as const) {
    if (typeof v[f] !== 'number' || !Number.isFinite(v[f]) || (v[f] as number) < 0) bad(f, 'must be a number ≥ 0');
  }
  if (!v.config || typeof v.config !== 'object') bad('config', 'must be the model config');
  const p = v.provenance as Record<string, unknown> | undefined;
  if (!p || typeof p.executor !== 'string' || typeof p.host !== 'string') bad('provenance', 'must say where it ran (executor, host)');
  if (v.way === 'data-parallel') {
    if (!Array.isArray(v.ranks) || v.ranks.length === 0) bad('ranks', 'must list every rank of a data-parallel run');
    (v.ranks as unknown[]).forEach((r, i) => {
      const rank = r as Record<string, unknown>;
      if (typeof rank?.rank !== 'number' || typeof rank.rows !== 'number') bad(`ranks[${i}]`, 'must have a rank number and the rows it held');
    });
  }
  return v as unknown as StoredTrainResult;
}
