/**
 * trainOnCluster: data-parallel training as K pods of one Indexed Job, through the kubernetes
 * executor (the same rank specs runDataParallelLocal gives the pool executor). Each rank holds
 * only its share of the rows; rank 0 is the rendezvous point at `<job>-0.<job>` and writes a
 * checkpoint at the end of every epoch onto the claim.
 *
 * When a rank is lost (its pod deleted, OOMKilled, its node gone; the others then see rank-lost
 * or rank-timeout) the Job fails as a whole, and the group restarts as the run's next attempt —
 * a new Job — from the last checkpoint, up to `maxRestarts` times. A rank OOMKilled because its
 * share does not fit its limit is not restarted (it would only run out again): the error says so,
 * with the plan that would fit. Cancelling deletes the Job and its Service (background
 * propagation), so nothing is left running.
 */
import { randomBytes } from 'node:crypto';
import { CaplabError } from '../errors.ts';
import { readManifest, type Manifest } from '../data/manifest.ts';
import { buildRankJob, rankJobOptions, type RankJobOptions, type RankPlace } from '../cluster/rank-job.ts';
import { kubernetesManifests } from '../cluster/manifests.ts';
import type { KubeOptions } from '../cluster/kube.ts';
import type { KubeObject } from '../cluster/types.ts';
import { toYamlDocuments } from '../cluster/yaml.ts';
import { createKubernetesExecutor, type KubernetesExecutorOptions } from '../exec/kubernetes.ts';
import { podPlan, type MemoryFit } from '../memory/fit.ts';
import type { ProgressHook } from '../progress.ts';
import type { Provenance } from '../provenance.ts';
import { datasetChecksum } from '../search/store.ts';
import type { SpecResult } from '../spec/types.ts';
import { validateModelConfig, type ModelConfig } from '../train/config.ts';
import type { BackendChoice, TrainResult } from '../train/types.ts';
import { formatBytes } from '../util/format.ts';
import { parseBytes } from '../util/quantity.ts';
import type { RankReport } from './data-parallel.ts';
import type { RankPayload, RankProgress, RankResult } from './rank-worker.ts';

export interface ClusterTrainOptions extends KubeOptions {
  /** The dataset on this machine: its checksum (and, for synthetic data, its recipe) go to the pods. */
  data: string;
  /** The same dataset as pods see it on the data claim (e.g. /data/sp500). Default: synthetic data is regenerated in each pod. */
  clusterData?: string;
  /** Ranks (pods). Default 2. */
  ranks?: number;
  /** Model config; `batchSize` is per rank (K ranks at batch b train like one process at K·b). */
  config?: Partial<ModelConfig>;
  /** Per pod CPU and memory, request and limit. Defaults 1 core, 1Gi. */
  cpu?: string | number;
  memory?: string;
  /** Worker image. Default `caplab:<version>`. */
  image?: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** The worker command in the image. Default `caplab worker`. */
  command?: string[];
  /** The run id: names the Jobs and the checkpoint folder; pass an earlier run's to resume it. Default `train-<random>`. */
  run?: string;
  /** Group restarts after a lost rank. Default 2. */
  maxRestarts?: number;
  /** Checkpoint every epoch to this claim (folder caplab-checkpoints/<run>); false for none. Default `caplab-data`. */
  checkpointClaim?: string | false;
  /** Default 'auto'. */
  backend?: BackendChoice;
  /** Rendezvous and per-step wait for peers. Default 120 000 ms. */
  timeoutMs?: number;
  /** Cap on steps per epoch. Default none. */
  maxSteps?: number;
  /** The probe's memory fit, for the plan an OOMKilled rank's error proposes. Default: a plan from the data's bytes alone. */
  fit?: MemoryFit;
  /** More kubernetes executor settings (grace periods, watch backoff…). */
  executor?: Omit<KubernetesExecutorOptions, keyof KubeOptions | 'group' | 'experiment' | 'dryRun'>;
  /** Rank 0's epochs (loss curve), and messages (submitted, restarting…). */
  onProgress?: ProgressHook;
  /** Every rank's epoch reports, live. */
  onRankProgress?: (progress: RankProgress & { attempt: number }) => void;
  signal?: AbortSignal;
}

/** One rank as its pod measured it. */
export interface ClusterRankReport extends RankReport {
  pod?: string;
  node?: string;
  /** The pod's memory limit. */
  limitBytes?: number;
}

export interface ClusterTrainResult {
  /** Rank 0's training result (rows = the whole train split). */
  train: TrainResult;
  ranks: ClusterRankReport[];
  replicasIdentical: boolean;
  seconds: number;
  /** Where and how it ran. */
  job: {
    run: string;
    /** The Job of the attempt that finished. */
    name: string;
    context?: string;
    namespace?: string;
    attempts: number;
    /** Why each earlier attempt ended. */
    restarts: string[];
    /** The checkpoint epoch the finishing attempt resumed from; null when it started at epoch 1. */
    resumedFromEpoch: number | null;
  };
  /** Rank 0's provenance (executor kubernetes, its pod and node). */
  provenance: Provenance;
  /** Every rank's provenance, by rank. */
  provenances: Provenance[];
}

const defaults = { ranks: 2, maxRestarts: 2, memory: '1Gi' };

/** What the run would apply (attempt 0), without a cluster: for --dry-run and notebooks with no cluster. */
export async function clusterTrainManifests(options: ClusterTrainOptions): Promise<KubeObject[]> {
  const prepared = await prepare(options);
  const m = buildRankJob(prepared.payload, prepared.job(0));
  return kubernetesManifests(m.specs, { ...rankJobOptions(prepared.job(0)), namespace: options.namespace });
}

/** The same as YAML documents (what `kubectl apply -f -` takes): `caplab train --executor kubernetes --dry-run`. */
export async function clusterTrainManifestsYaml(options: ClusterTrainOptions): Promise<string> {
  return toYamlDocuments(await clusterTrainManifests(options));
}

/**
 * Trains on the cluster and returns rank 0's result with every rank's report.
 *
 * ```ts
 * const r = await trainOnCluster({ data: 'data/base-quick', ranks: 4, memory: '768Mi', config: { batchSize: 64, epochs: 5 } });
 * r.ranks.map((x) => [x.node, x.localRows, x.peakRssBytes]);
 * ```
 */
export async function trainOnCluster(options: ClusterTrainOptions): Promise<ClusterTrainResult> {
  const started = performance.now();
  const prepared = await prepare(options);
  const { o, payload } = prepared;
  const restarts: string[] = [];
  for (let attempt = 0; ; attempt++) {
    const jobOptions = prepared.job(attempt);
    const m = buildRankJob(payload, jobOptions);
    const executor = createKubernetesExecutor({
      ...o.executor,
      kubeconfig: o.kubeconfig,
      context: o.context,
      namespace: o.namespace,
      image: o.image,
      imagePullPolicy: o.imagePullPolicy,
      command: o.command,
      cpu: o.cpu,
      memory: o.memory,
      dataClaim: jobOptions.dataClaim,
      experiment: rankJobOptions(jobOptions).experiment,
      group: { port: m.rank0.port, checkpoint: rankJobOptions(jobOptions).checkpoint },
      onProgress: o.onProgress,
    });
    const results = await executor.run(m.specs, {
      signal: o.signal,
      onSpecProgress: (id, data) => {
        const p = data as RankProgress;
        o.onRankProgress?.({ ...p, attempt });
        if (p.rank === 0) o.onProgress?.({ kind: 'epoch', epoch: p.epoch, epochs: p.epochs, loss: p.loss, valLoss: p.valLoss, seconds: p.seconds });
      },
    });
    if (results.every((r) => r.status === 'ok')) return finish(results, m.name, attempt, restarts, prepared, started);
    const verdict = judge(results, prepared);
    if (verdict.final || attempt >= o.maxRestarts) {
      throw verdict.final ?? new CaplabError('rank-lost', `Data-parallel training failed ${attempt + 1} time(s); the last attempt: ${verdict.why}.`, {
        hint: 'Look at the failed rank\'s pod log and events; raise maxRestarts (--max-restarts) if the cluster loses pods often.',
      });
    }
    restarts.push(verdict.why);
    o.onProgress?.({ kind: 'message', text: `Attempt ${attempt + 1} lost a rank (${verdict.why}); restarting the group from its last checkpoint.` });
  }
}

interface Prepared {
  o: Omit<ClusterTrainOptions, keyof typeof defaults> & typeof defaults & { run: string };
  payload: Omit<RankPayload, keyof RankPlace>;
  manifest: Manifest;
  config: ModelConfig;
  memoryBytes: number;
  job(attempt: number): RankJobOptions;
}

async function prepare(options: ClusterTrainOptions): Promise<Prepared> {
  const o = { ...defaults, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as Prepared['o'];
  o.run ??= `train-${randomBytes(3).toString('hex')}`;
  if (!Number.isInteger(o.maxRestarts) || o.maxRestarts < 0) {
    throw new CaplabError('bad-config', `maxRestarts ${JSON.stringify(o.maxRestarts)} must be an integer ≥ 0.`);
  }
  const config = validateModelConfig(o.config ?? {});
  const manifest = await readManifest(o.data);
  const checksum = datasetChecksum(manifest);
  const data: RankPayload['data'] = o.clusterData ? { dir: o.clusterData, checksum } : syntheticRef(manifest, o.data, checksum);
  const payload: Prepared['payload'] = {
    data,
    config,
    ...(o.backend ? { backend: o.backend } : {}),
    ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
    ...(o.checkpointClaim === false ? {} : { checkpoint: true }),
  };
  const job = (attempt: number): RankJobOptions => ({
    run: o.run,
    attempt,
    ranks: o.ranks,
    cpu: o.cpu,
    memory: o.memory,
    image: o.image,
    imagePullPolicy: o.imagePullPolicy,
    command: o.command,
    ...(o.clusterData ? { dataClaim: o.executor?.dataClaim ?? 'caplab-data' } : {}),
    ...(o.checkpointClaim !== undefined ? { checkpointClaim: o.checkpointClaim } : {}),
  });
  // Checks ranks, run id, resources and image now, before any cluster is asked.
  buildRankJob(payload, job(0));
  return { o, payload, manifest, config, memoryBytes: parseBytes(o.memory, 'memory'), job };
}

function syntheticRef(manifest: Manifest, dir: string, checksum: string): RankPayload['data'] {
  const s = manifest.source as Manifest['source'] & { baseTickers?: number };
  if (s.type !== 'synthetic' || s.seed === undefined) {
    throw new CaplabError('usage', `The dataset in ${dir} is ${s.type}, not synthetic: pods cannot regenerate it, and they cannot read this machine's folder.`, {
      hint: 'Put it on the data claim with a data Job (`npm run deploy -- --data-job "data import … --out /data/NAME"`), then pass --cluster-data /data/NAME.',
    });
  }
  // The ranks generate only their tickers, so they check the train statistics they combine against this dataset's.
  return { synthetic: { seed: s.seed, tickers: s.baseTickers ?? s.tickers, days: s.days, scale: s.scale ?? 1, checksum, ...(manifest.stats ? { stats: manifest.stats } : {}) } };
}

/** Whether a failed attempt is worth a group restart, or the final error. */
function judge(results: SpecResult[], p: Prepared): { why: string; final?: CaplabError } {
  const failed = results.filter((r) => r.status !== 'ok');
  const lines = failed.map((r) => `${r.id}: ${r.failure ?? r.status}${r.reason ? ` (${r.reason})` : ''}`).join('; ');
  if (p.o.signal?.aborted) {
    return { why: 'cancelled', final: new CaplabError('cancelled', `Training on the cluster was cancelled; the Job and its Service were deleted.`, { hint: `Resume it later from its checkpoint with run id ${p.o.run}.` }) };
  }
  const badConfig = failed.find((r) => r.failure === 'bad-config');
  if (badConfig) return { why: lines, final: new CaplabError('bad-config', `A rank refused its spec: ${badConfig.reason ?? 'bad config'}.`, { hint: 'Fix the config or the data path; a restart would fail the same way.' }) };
  const oom = failed.find((r) => r.failure === 'oom');
  if (oom) return { why: lines, final: oomError(oom, p) };
  const stuck = failed.find((r) => r.failure === 'image-pull' || r.failure === 'unschedulable' || r.failure === 'create-failed');
  if (stuck) return { why: lines, final: new CaplabError('rank-lost', `Rank pods could not run: ${stuck.id} ${stuck.failure}: ${stuck.reason ?? ''}.`, { hint: 'A restart would not help: fix the image, the resources or the namespace first.' }) };
  return { why: lines };
}

/** An OOMKilled rank: its share did not fit its limit. The error carries the plan that would. */
function oomError(r: SpecResult, p: Prepared): CaplabError {
  const k = p.o.ranks;
  const trainRows = p.manifest.rows.train;
  const heldRows = Math.ceil(trainRows / k);
  const rowBytes = (p.manifest.features.length + 1) * 4;
  let plan: string;
  if (p.o.fit) {
    const pp = podPlan(p.o.fit, trainRows, { maxPodBytes: p.memoryBytes });
    plan = pp.pods ? `${pp.pods} ranks × ${pp.podMemory} (from the probe's fit: ${pp.text})` : `no plan fits pods of ${formatBytes(p.memoryBytes)}: raise --memory`;
  } else if (heldRows * rowBytes < p.memoryBytes / 4) {
    // The share is a small part of the limit: the runtime itself does not fit, more ranks would not help.
    plan = `${k} rank${k === 1 ? '' : 's'} with more memory than ${p.o.memory}: the data share is a small part of it, the runtime needs the rest (a guess from the data alone: pass the probe's fit for a measured plan)`;
  } else {
    plan = `${2 * k} ranks at ${p.o.memory}, or ${k} rank${k === 1 ? '' : 's'} at twice the memory (a guess from the data alone: pass the probe's fit for a measured plan)`;
  }
  return new CaplabError('rank-oom', `Rank ${r.id.replace(/@.*/, '')} was OOMKilled: its share of ${heldRows.toLocaleString('en-US')} rows (${formatBytes(heldRows * rowBytes)} of data) and the runtime did not fit its memory limit ${p.o.memory} (${r.reason ?? 'OOMKilled'}).`, {
    hint: `Run it as ${plan}.`,
  });
}

function finish(results: SpecResult[], name: string, attempt: number, restarts: string[], p: Prepared, started: number): ClusterTrainResult {
  const out = results.map((r) => r.result as RankResult & { resumedFromEpoch?: number });
  const train = out[0].train;
  if (!train) throw new CaplabError('protocol', 'Rank 0 returned no training result.', { hint: 'Run the same caplab version in the image as here.' });
  const ranks: ClusterRankReport[] = results.map((r, i) => {
    const pod = out[i].where?.pod ?? r.provenance.cluster?.pod;
    const node = out[i].where?.node ?? r.provenance.cluster?.node;
    return { ...out[i].rank, ...(pod ? { pod } : {}), ...(node ? { node } : {}), limitBytes: p.memoryBytes };
  });
  const p0 = results[0].provenance;
  return {
    train,
    ranks,
    replicasIdentical: ranks.every((x) => x.paramsSha256 === ranks[0].paramsSha256),
    seconds: (performance.now() - started) / 1000,
    job: {
      run: p.o.run,
      name,
      ...(p0.cluster?.context ? { context: p0.cluster.context } : {}),
      ...(p.o.namespace ? { namespace: p.o.namespace } : {}),
      attempts: attempt + 1,
      restarts,
      resumedFromEpoch: out[0].resumedFromEpoch ?? null,
    },
    provenance: p0,
    provenances: results.map((r) => r.provenance),
  };
}
