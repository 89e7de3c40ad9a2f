/**
 * Spec kind 'rank': one rank of data-parallel training. On Kubernetes every pod of an Indexed
 * Job runs the same spec and takes its rank from JOB_COMPLETION_INDEX; locally the launcher
 * puts the rank in the payload. Reports each epoch, tagged with rank and pid.
 */
import { CaplabError } from '../errors.ts';
import type { Spec, WorkerContext } from '../spec/types.ts';
import { validateModelConfig, type ModelConfig } from '../train/config.ts';
import type { BackendChoice } from '../train/types.ts';
import { trainDataParallel, type DataParallelResult } from './data-parallel.ts';

export interface RankPayload {
  /** Default: env JOB_COMPLETION_INDEX (an Indexed Job's pod index). */
  rank?: number;
  worldSize: number;
  /** Rank 0's host and port. */
  host: string;
  port: number;
  data: { dir: string };
  config: Partial<ModelConfig>;
  /** Default 'auto'. */
  backend?: BackendChoice;
  /** Default 120 000 ms. */
  timeoutMs?: number;
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

export type RankSpec = Spec<RankPayload, 'rank'>;

export async function runSpec(spec: RankSpec, ctx: WorkerContext): Promise<DataParallelResult> {
  const p = spec.payload as RankPayload;
  if (!p || typeof p !== 'object' || !p.data || typeof p.data.dir !== 'string' || typeof p.host !== 'string' || !Number.isInteger(p.port)) {
    throw new CaplabError('bad-config', `Rank spec ${spec.id} needs a payload with worldSize, host, port, data.dir and config.`);
  }
  const rank = payloadRank(p, spec.id);
  const config = validateModelConfig(p.config ?? {});
  return trainDataParallel({
    rank,
    worldSize: p.worldSize,
    host: p.host,
    port: p.port,
    data: p.data.dir,
    config,
    backend: p.backend ?? 'auto',
    timeoutMs: p.timeoutMs,
    signal: ctx.signal,
    onProgress: (e) => {
      if (e.kind === 'epoch') ctx.report({ rank, pid: process.pid, epoch: e.epoch, epochs: e.epochs, loss: e.loss, valLoss: e.valLoss, seconds: e.seconds } satisfies RankProgress);
    },
  });
}
