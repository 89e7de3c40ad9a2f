/**
 * The manifests of one data-parallel run on Kubernetes (one attempt of it): K rank specs, the
 * Indexed Job of K completions that runs them all at once (pod i = rank i, from
 * JOB_COMPLETION_INDEX), and a headless Service named like the Job, so rank 0 — the rendezvous
 * point, like MASTER_ADDR in PyTorch — is `<job>-0.<job>` for every other rank. Rank 0 writes its
 * checkpoints to a folder of the data claim that outlives the pods, the same folder for every
 * attempt of a run, so a restarted group resumes where the last one stopped.
 *
 * The kubernetes executor builds the same manifests from the specs (option `group`); this module
 * names the specs and computes rank 0's address before there is a Job.
 */
import { CaplabError } from '../errors.ts';
import type { Spec } from '../spec/types.ts';
import { DATA_CLAIM } from './objects/pvc.ts';
import { RENDEZVOUS_PORT } from './objects/service.ts';
import { buildSearchJob, searchJobName, type SearchJobManifests, type SearchJobOptions } from './search-job.ts';
import { slug } from './labels.ts';

/** Where on the claim the runs' checkpoint folders live. */
export const CHECKPOINTS_FOLDER = 'caplab-checkpoints';

/** What every rank's payload gets from the group: its place in it and where rank 0 is. */
export interface RankPlace {
  rank: number;
  worldSize: number;
  host: string;
  port: number;
}

export interface RankJobOptions extends Omit<SearchJobOptions, 'group' | 'parallelism' | 'retries' | 'experiment' | 'checkpoint'> {
  /** The run's id: names the Job (with the attempt) and the checkpoint folder. Lower-case letters, digits, '-'. */
  run: string;
  /** Which attempt of the run (a group restart after a lost rank is the next one). Default 0. */
  attempt?: number;
  /** Ranks (pods). */
  ranks: number;
  /** Rank 0's rendezvous port. Default 29500. */
  port?: number;
  /** The claim rank 0 checkpoints to (folder caplab-checkpoints/<run>); false for none. Default `caplab-data`. */
  checkpointClaim?: string | false;
}

export interface RankJob<P> extends SearchJobManifests {
  service: NonNullable<SearchJobManifests['service']>;
  specs: Array<Spec<P & RankPlace>>;
  /** Rank 0's address as the other ranks dial it. */
  rank0: { host: string; port: number };
  /** The checkpoint folder on the claim, or null without checkpoints. */
  checkpointPath: string | null;
}

/** `rank-<i>@a<attempt>`: one id per rank and attempt, so each attempt is a Job of its own. */
export function rankSpecId(rank: number, attempt: number): string {
  return `rank-${rank}@a${attempt}`;
}

/** The checks and names every builder of a run shares. */
function runNames(o: RankJobOptions): { attempt: number; ids: string[]; experiment: string; name: string } {
  if (!/^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/.test(o.run)) {
    throw new CaplabError('bad-config', `run id "${o.run}" must be 1 to 40 lower-case letters, digits and '-', starting and ending with a letter or digit.`, {
      hint: 'It names the Job and the checkpoint folder; e.g. train-4f2a.',
    });
  }
  const attempt = o.attempt ?? 0;
  if (!Number.isInteger(o.ranks) || o.ranks < 1 || o.ranks > 256) {
    throw new CaplabError('bad-config', `ranks ${JSON.stringify(o.ranks)} must be an integer from 1 to 256.`, { hint: 'Pass --ranks K (pods of the group).' });
  }
  if (!Number.isInteger(attempt) || attempt < 0) throw new CaplabError('bad-config', `attempt ${JSON.stringify(attempt)} must be an integer ≥ 0.`);
  const ids = Array.from({ length: o.ranks }, (_, r) => rankSpecId(r, attempt));
  const experiment = slug(o.run, 40);
  return { attempt, ids, experiment, name: searchJobName(ids.map((id) => ({ id, kind: 'rank', payload: null })), experiment) };
}

/** The SearchJobOptions the executor must be given to build exactly this run's manifests. */
export function rankJobOptions(o: RankJobOptions): SearchJobOptions {
  const { run: _run, attempt: _attempt, ranks: _ranks, port, checkpointClaim, ...rest } = o;
  const claim = checkpointClaim === undefined ? DATA_CLAIM : checkpointClaim;
  return {
    ...rest,
    experiment: runNames(o).experiment,
    group: true,
    ...(port !== undefined ? { groupPort: port } : {}),
    ...(claim ? { checkpoint: { claim, subPath: `${CHECKPOINTS_FOLDER}/${o.run}` } } : {}),
  };
}

/**
 * The rank specs and manifests of one attempt. `payload` is what every rank shares (data, model
 * config…); each spec adds the rank's place in the group.
 *
 * ```ts
 * const m = buildRankJob({ data: { dir: '/data/sp500' }, config }, { run: 'train-4f2a', ranks: 4, memory: '2Gi' });
 * m.rank0.host; // 'caplab-train-4f2a-1a2b3c4d-0.caplab-train-4f2a-1a2b3c4d'
 * ```
 */
export function buildRankJob<P extends object>(payload: P, o: RankJobOptions): RankJob<P> {
  const { ids, name } = runNames(o);
  const port = o.port ?? RENDEZVOUS_PORT;
  if (!Number.isInteger(port) || port < 1024 || port > 65535) {
    throw new CaplabError('bad-config', `port ${port} must be an integer from 1024 to 65535.`, { hint: 'Workers run as a non-root user: use an unprivileged port (default 29500).' });
  }
  const host = `${name}-0.${name}`;
  const specs = ids.map((id, rank) => ({ id, kind: 'rank', payload: { ...payload, rank, worldSize: o.ranks, host, port } }));
  const options = rankJobOptions(o);
  const m = buildSearchJob(specs, options);
  if (m.name !== name || !m.service) throw new CaplabError('protocol', `buildSearchJob named the rank Job ${m.name}, not ${name}.`);
  return { ...m, service: m.service, specs, rank0: { host, port }, checkpointPath: options.checkpoint ? options.checkpoint.subPath : null };
}
