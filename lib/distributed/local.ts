/**
 * runDataParallelLocal: k ranks as k specs of kind 'rank' on the pool executor with k workers, so
 * all run at once as child processes (`caplab worker`) meeting on 127.0.0.1. The same spec a pod
 * of the Kubernetes Indexed Job runs, so a local and a cloud run differ only in where the ranks ran.
 */
import { createServer } from 'node:net';
import { CaplabError } from '../errors.ts';
import { createPoolExecutor } from '../exec/pool.ts';
import type { SpecResult } from '../spec/types.ts';
import { withDefaults } from '../util/defaults.ts';
import type { ProgressHook } from '../progress.ts';
import { validateModelConfig, type ModelConfig } from '../train/config.ts';
import type { BackendChoice, TrainResult } from '../train/types.ts';
import type { DataParallelResult, RankReport } from './data-parallel.ts';
import type { RankProgress, RankSpec } from './rank-worker.ts';
import type { SyntheticRankData } from './rank-synthetic.ts';

export interface LocalDataParallelOptions {
  /** A dataset folder, or the seeded synthetic market (each rank then generates only its own tickers, in memory). */
  data: string | { synthetic: SyntheticRankData };
  /** Ranks (child processes). Default 2. */
  ranks?: number;
  /** Model config; `batchSize` is per rank. */
  config?: Partial<ModelConfig>;
  /** Rank 0's port. Default: a free port the OS picks. */
  port?: number;
  /** Default 'auto'. */
  backend?: BackendChoice;
  /** Rendezvous and per-step timeout. Default 120 000 ms. */
  timeoutMs?: number;
  /** Rank 0's epoch events. */
  onProgress?: ProgressHook;
  /** Every rank's epoch reports (with its pid). */
  onRankProgress?: (progress: RankProgress) => void;
  /**
   * Opt-in local SGD, which CHANGES THE MATHEMATICS: parameters averaged every this many steps
   * instead of gradients every step (DataParallelOptions.localSgdEvery). Default none (exact).
   */
  localSgdEvery?: number;
  /** Aborting stops every rank (their results come back as stopped). */
  signal?: AbortSignal;
}

export interface LocalDataParallelResult {
  /** Rank 0's training result. */
  train: TrainResult;
  /** Every rank's report, by rank (rows held, peak memory, parameter checksum). */
  ranks: RankReport[];
  /** True when every rank ended with the same parameters. */
  replicasIdentical: boolean;
  seconds: number;
}

/** How long the other ranks get to notice a failed rank themselves before they are stopped. */
const FAILURE_GRACE_MS = 3000;

const defaults = { ranks: 2, backend: 'auto' as BackendChoice, timeoutMs: 120_000 };

/** A port nobody listens on right now (the OS's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Trains with `ranks` local processes and returns rank 0's result with every rank's report.
 * Throws CaplabError 'rank-lost' when a rank dies (the others then fail too), 'bad-config' when
 * every failure was a bad config.
 *
 * ```ts
 * const r = await runDataParallelLocal({ data: 'data/base-quick', ranks: 2, config: { batchSize: 128, epochs: 3 } });
 * console.log(r.train.rowsPerSecond, r.ranks.map((x) => x.peakRssBytes));
 * ```
 */
export async function runDataParallelLocal(options: LocalDataParallelOptions): Promise<LocalDataParallelResult> {
  const o = withDefaults(defaults, options);
  if (!Number.isInteger(o.ranks) || o.ranks < 1) {
    throw new CaplabError('bad-config', `ranks must be a positive integer, got ${JSON.stringify(o.ranks)}.`);
  }
  const config = validateModelConfig(o.config ?? {});
  const port = o.port ?? (await freePort());
  const started = performance.now();
  // A failed rank ends the others after a grace period: peers of a rank that died mid-training
  // fail on their own at once with 'rank-lost' (the real cause in their reason); the grace only
  // matters for a rank that failed before joining, which would leave the others to their timeout.
  const abort = new AbortController();
  const onAbort = () => abort.abort();
  let graceTimer: NodeJS.Timeout | undefined;
  const abortSoon = () => {
    graceTimer ??= setTimeout(() => abort.abort(), FAILURE_GRACE_MS);
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const specs: RankSpec[] = Array.from({ length: o.ranks }, (_, rank) => ({
    id: `rank-${rank}`,
    kind: 'rank',
    payload: { rank, worldSize: o.ranks, host: '127.0.0.1', port, data: typeof o.data === 'string' ? { dir: o.data } : o.data, config, backend: o.backend, timeoutMs: o.timeoutMs, ...(o.localSgdEvery !== undefined ? { localSgdEvery: o.localSgdEvery } : {}) },
  }));
  let results: SpecResult[];
  try {
    // Every rank at once: the group cannot form with one rank waiting for a slot.
    results = await createPoolExecutor({ workers: o.ranks, killGraceMs: 2000 }).run(specs, {
      signal: abort.signal,
      onEvent: (e) => {
        if (e.kind === 'finished' && e.result.status !== 'ok') abortSoon();
      },
      onSpecProgress: (id, data) => {
        const p = data as RankProgress;
        o.onRankProgress?.(p);
        if (id === 'rank-0') o.onProgress?.({ kind: 'epoch', epoch: p.epoch, epochs: p.epochs, loss: p.loss, valLoss: p.valLoss, seconds: p.seconds });
      },
    });
  } finally {
    clearTimeout(graceTimer);
    o.signal?.removeEventListener('abort', onAbort);
  }
  const failed = results.filter((r) => r.status !== 'ok');
  if (failed.length > 0) {
    const lines = failed.map((r) => `${r.id}: ${r.status}${r.failure ? ` (${r.failure})` : ''}: ${r.reason ?? 'no reason given'}`);
    const allBadConfig = failed.every((r) => r.failure === 'bad-config');
    const stopped = o.signal?.aborted && failed.every((r) => r.status === 'stopped');
    throw new CaplabError(allBadConfig ? 'bad-config' : stopped ? 'cancelled' : 'rank-lost', `Data-parallel training with ${o.ranks} ranks failed:\n  ${lines.join('\n  ')}`, {
      hint: allBadConfig ? 'Fix the config.' : 'The first rank in the list that did not lose a peer is the cause; look at its reason.',
    });
  }
  const out = results.map((r) => r.result as DataParallelResult);
  const train = out[0].train;
  if (!train) throw new CaplabError('protocol', 'Rank 0 returned no training result.');
  const ranks = out.map((r) => r.rank);
  return { train, ranks, replicasIdentical: ranks.every((r) => r.paramsSha256 === ranks[0].paramsSha256), seconds: (performance.now() - started) / 1000 };
}
