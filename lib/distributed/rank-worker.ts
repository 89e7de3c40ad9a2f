/**
 * Spec kind 'rank': one rank of data-parallel training. On Kubernetes every pod of an Indexed
 * Job runs its rank's spec (pod i = rank i = JOB_COMPLETION_INDEX); locally the launcher puts the
 * rank in the payload. Reports each epoch, tagged with rank and pid, and returns the rank's
 * report with where it ran (pod, node) beside it.
 *
 * Data: a folder the rank can read (on a cluster, the data claim at /data, checked against the
 * checksum the caller expects), or the seeded synthetic market, of which the rank generates only
 * its own tickers, in memory: nothing is uploaded, shared or written, and no rank computes
 * another's rows (the train statistics are combined over the ranks and checked against the
 * caller's).
 * Checkpoints: a folder that outlives the pod (the claim's caplab-checkpoints/<run>, mounted at
 * CAPLAB_CHECKPOINT_DIR), or `checkpoint.dir` in the payload.
 */
import { CaplabError } from '../errors.ts';
import type { Spec, WorkerContext } from '../spec/types.ts';
import { givenData } from '../search/trial-worker.ts';
import { validateModelConfig, type ModelConfig } from '../train/config.ts';
import type { BackendChoice } from '../train/types.ts';
import { trainDataParallel, type DataParallelResult } from './data-parallel.ts';
import type { SyntheticRankData } from './rank-synthetic.ts';

export interface RankPayload {
  /** Default: env JOB_COMPLETION_INDEX (an Indexed Job's pod index). */
  rank?: number;
  worldSize: number;
  /** Rank 0's host and port. */
  host: string;
  port: number;
  /** A dataset folder (with the checksum it must have), or the synthetic market to regenerate (each rank its tickers). */
  data: { dir: string; checksum?: string } | { synthetic: SyntheticRankData };
  config: Partial<ModelConfig>;
  /** Default 'auto'. */
  backend?: BackendChoice;
  /** Default 120 000 ms. */
  timeoutMs?: number;
  /**
   * Checkpoint every epoch (rank 0 writes) and resume from the last one: `true` uses the folder
   * in env CAPLAB_CHECKPOINT_DIR (the pod's claim mount), `{ dir }` names one. Default none.
   */
  checkpoint?: boolean | { dir: string };
  /** Opt-in local SGD, which changes the mathematics (DataParallelOptions.localSgdEvery). Default none. */
  localSgdEvery?: number;
}

/** What a rank reports after each epoch. */
export interface RankProgress {
  rank: number;
  pid: number;
  epoch: number;
  epochs: number;
  loss: number;
  valLoss?: number;
  seconds: number;
}

/** A rank's result: its training outcome, and the pod and node it ran on (cluster runs). */
export interface RankResult extends DataParallelResult {
  where: { pod?: string; node?: string };
}

function payloadRank(p: RankPayload, specId: string): number {
  const raw = p.rank ?? process.env.JOB_COMPLETION_INDEX;
  const rank = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof rank !== 'number' || !Number.isInteger(rank) || rank < 0) {
    throw new CaplabError('bad-config', `Rank spec ${specId} has no usable rank (payload.rank ${JSON.stringify(p.rank)}, JOB_COMPLETION_INDEX ${JSON.stringify(process.env.JOB_COMPLETION_INDEX)}).`, {
      hint: 'Set payload.rank, or run the spec in an Indexed Job (which sets JOB_COMPLETION_INDEX).',
    });
  }
  return rank;
}

function checkpointDir(p: RankPayload, specId: string): string | undefined {
  if (!p.checkpoint) return undefined;
  if (typeof p.checkpoint === 'object') return p.checkpoint.dir;
  const dir = process.env.CAPLAB_CHECKPOINT_DIR;
  if (!dir) {
    throw new CaplabError('bad-config', `Rank spec ${specId} asks for checkpoints, but this worker has no CAPLAB_CHECKPOINT_DIR.`, {
      hint: 'Run it in a rank Job whose pods mount the checkpoint claim, or give payload.checkpoint.dir.',
    });
  }
  return dir;
}

export type RankSpec = Spec<RankPayload, 'rank'>;

export async function runSpec(spec: RankSpec, ctx: WorkerContext): Promise<RankResult> {
  const p = spec.payload as RankPayload;
  if (!p || typeof p !== 'object' || !p.data || typeof p.host !== 'string' || !Number.isInteger(p.port) || !('dir' in p.data || 'synthetic' in p.data)) {
    throw new CaplabError('bad-config', `Rank spec ${spec.id} needs a payload with worldSize, host, port, data (dir or synthetic) and config.`);
  }
  const rank = payloadRank(p, spec.id);
  const config = validateModelConfig(p.config ?? {});
  const checkpoint = checkpointDir(p, spec.id);
  const data = 'dir' in p.data ? await givenData(p.data.dir, p.data.checksum) : { synthetic: p.data.synthetic };
  const result = await trainDataParallel({
    rank,
    worldSize: p.worldSize,
    host: p.host,
    port: p.port,
    data,
    config,
    backend: p.backend ?? 'auto',
    timeoutMs: p.timeoutMs,
    ...(p.localSgdEvery !== undefined ? { localSgdEvery: p.localSgdEvery } : {}),
    signal: ctx.signal,
    ...(checkpoint ? { checkpointDir: checkpoint } : {}),
    onProgress: (e) => {
      if (e.kind === 'epoch') ctx.report({ rank, pid: process.pid, epoch: e.epoch, epochs: e.epochs, loss: e.loss, valLoss: e.valLoss, seconds: e.seconds } satisfies RankProgress);
    },
  });
  const where = { pod: process.env.CAPLAB_POD_NAME, node: process.env.CAPLAB_NODE_NAME };
  return { ...result, where: Object.fromEntries(Object.entries(where).filter(([, v]) => v)) };
}
