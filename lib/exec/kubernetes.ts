/**
 * The `kubernetes` executor: specs become one Indexed Job (pod i runs spec i), submitted
 * idempotently, watched until every spec has a result. Created by `createExecutor('kubernetes')`
 * or directly:
 *
 *   const ex = await createKubernetesExecutor({ image: 'me/caplab:0.1.0', experiment: 'grid' });
 *   const results = await ex.run(specs, { onEvent });
 */
import type { FailureCode, Spec, SpecResult } from '../spec/types.ts';
import type { Executor, ExecHooks } from './types.ts';
import { kubernetesManifests, kubernetesManifestsYaml } from '../cluster/manifests.ts';
import { buildSearchJob } from '../cluster/search-job.ts';
import { duration, type Cpu, type Memory } from '../cluster/units.ts';
import { DATA_PATH } from '../cluster/objects/pod.ts';
import { withDefaults } from '../util/defaults.ts';
import { DATA_CLAIM } from '../cluster/objects/pvc.ts';
import { CaplabError } from '../errors.ts';
import { loadKube, type KubeOptions } from '../cluster/kube.ts';
import { submitSearchJob } from '../cluster/jobs.ts';
import { localProvenance } from '../provenance.ts';
import type { ProgressHook } from '../progress.ts';
import type { WatchOptions } from '../cluster/watch.ts';
import { superviseSearchJob, type TraceEvent } from './kubernetes-supervise.ts';

export { kubernetesManifests, kubernetesManifestsYaml };
export type { TraceEvent as KubernetesTraceEvent };

export interface KubernetesExecutorOptions extends KubeOptions {
  /** Worker image. Default `caplab:0.1.0` (built by `npm run deploy -- --image …`). */
  image?: string;
  /** Default IfNotPresent. */
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** The worker command in the image. Default `caplab worker`. */
  command?: string[];
  /** Pods at once. Default: every spec at once. */
  parallelism?: number;
  /** Per pod CPU request and limit ("500m", "2", or cpu.millis(500)). Default 1. */
  cpu?: Cpu | string | number;
  /** Per pod memory request and limit ("512Mi", "2Gi"). Default 1Gi. */
  memory?: Memory | string;
  /** Retries per spec after a counted failure. Default 0 (trials are deterministic). */
  retries?: number;
  /** Fail the Job after this many seconds. Default none. */
  activeDeadlineSeconds?: number;
  /** Delete the finished Job (and its pods and logs) after this many seconds. Default 3600. */
  ttlSecondsAfterFinished?: number;
  /** Names the Job (with a hash of the spec ids), so a resubmit finds it. Default `search`. */
  experiment?: string;
  /** PVC with imported data, mounted read-only at /data. Default none, or `caplab-data` with dataPath (synthetic data is regenerated). */
  dataClaim?: string;
  /**
   * The search's dataset as the pods see it on the data claim, e.g. `/data/sp500` (made there by a
   * data Job: `npm run deploy -- --data-job "…"`). runSearch sends trials this path instead of
   * having pods regenerate synthetic data, and the claim is mounted read-only. Default none.
   */
  dataPath?: string;
  /** Print the manifests (YAML) instead of applying them; every spec comes back 'stopped'. Default false. */
  dryRun?: boolean;
  /** Where dry-run YAML goes. Default: stdout. */
  output?: (yaml: string) => void;
  /**
   * How long pods may stay Unschedulable while none of the Job's pods holds a node (so nothing of
   * ours will free room) before the remaining specs fail. Default 15000 ms.
   */
  unschedulableGraceMs?: number;
  /**
   * How long the API server may refuse to create the Job's pods (Warning FailedCreate on the Job: a
   * missing ServiceAccount, a ResourceQuota or LimitRange, Pod Security) while none of its pods
   * runs, before the remaining specs fail as 'create-failed' and the Job is deleted. Default 5000 ms.
   */
  createFailedGraceMs?: number;
  /** Watch restart backoff. Defaults in lib/cluster/watch.ts. */
  watch?: WatchOptions;
  /** Messages for people (attached to an existing Job, watch restarted…). */
  onProgress?: ProgressHook;
  /** Timestamps of submit, pods running, pods done and results (for the overhead benchmark). */
  onTrace?: (event: TraceEvent) => void;
  /**
   * The specs are the ranks of one data-parallel group (see lib/cluster/rank-job.ts): all pods at
   * once, a headless Service so rank 0 is `<job>-0.<job>`, one failed rank fails the Job, and
   * optionally rank 0's checkpoint folder on a claim. Default none (independent specs).
   */
  group?: { port?: number; checkpoint?: { claim: string; subPath: string } };
}

export const kubernetesExecutorDefaults = { unschedulableGraceMs: 15_000, createFailedGraceMs: 5_000, dryRun: false };

export function createKubernetesExecutor(options: KubernetesExecutorOptions = {}): Executor {
  const o = withDefaults(kubernetesExecutorDefaults, options);
  const jobOptions = () => ({
    experiment: o.experiment,
    image: o.image,
    imagePullPolicy: o.imagePullPolicy,
    command: o.command,
    parallelism: o.parallelism,
    cpu: o.cpu,
    memory: o.memory,
    retries: o.retries,
    dataClaim: o.dataClaim ?? (o.dataPath ? DATA_CLAIM : undefined),
    activeDeadline: o.activeDeadlineSeconds ? duration.seconds(o.activeDeadlineSeconds) : undefined,
    ttlAfterFinished: o.ttlSecondsAfterFinished !== undefined ? duration.seconds(o.ttlSecondsAfterFinished) : undefined,
    ...(o.group ? { group: true, groupPort: o.group.port, checkpoint: o.group.checkpoint } : {}),
  });
  // Check the options now (bad --cpu, bad image, bad data path), not after connecting to a cluster.
  if (o.dataPath !== undefined) checkClusterDataPath(o.dataPath);
  buildSearchJob([{ id: 'check', kind: 'noop', payload: {} }], { ...jobOptions(), parallelism: undefined });
  return {
    name: 'kubernetes',
    async run(specs: Spec[], hooks: ExecHooks = {}): Promise<SpecResult[]> {
      if (specs.length === 0) return [];
      if (o.dryRun) {
        const yaml = kubernetesManifestsYaml(specs, { ...jobOptions(), namespace: o.namespace });
        (o.output ?? ((y: string) => void process.stdout.write(y)))(yaml);
        return specs.map((s) => notRun(s, 'dry-run', 'dry run: the manifests were printed, nothing was applied', hooks));
      }
      if (hooks.signal?.aborted) return specs.map((s) => notRun(s, 'cancelled', 'not submitted: the run was cancelled', hooks));
      const kube = await loadKube(o);
      const serverVersion = await kube.version.getCode().then((v) => v.gitVersion, () => undefined);
      const manifests = buildSearchJob(specs, { ...jobOptions(), namespace: kube.namespace });
      const submit = async () => {
        o.onTrace?.({ kind: 'submit', at: performance.now() });
        const submitted = await submitSearchJob(kube, manifests);
        o.onProgress?.({
          kind: 'message',
          text: submitted.attached
            ? `Job ${manifests.name} already runs these specs in ${kube.namespace}: watching it instead of submitting again.`
            : `Submitted Job ${manifests.name} (${specs.length} pods) to ${kube.context}/${kube.namespace}.`,
        });
      };
      return superviseSearchJob({ kube, manifests, specs, hooks, serverVersion, submit, options: o });
    },
  };
}

/** A dataset path in a pod: absolute, under the data claim's mount, no `..`. */
export function checkClusterDataPath(path: string): void {
  const parts = path.split('/');
  if (!path.startsWith(`${DATA_PATH}/`) || parts.length < 3 || parts.some((p, i) => i > 0 && (p === '..' || p === '.' || p === ''))) {
    throw new CaplabError('usage', `The cluster data path "${path}" is not a folder under ${DATA_PATH}, where pods mount the data claim.`, {
      hint: `Pass the dataset's folder as the pods see it, e.g. --cluster-data ${DATA_PATH}/sp500 (what the data Job wrote with --out ${DATA_PATH}/sp500).`,
    });
  }
}

function notRun(spec: Spec, failure: FailureCode, reason: string, hooks: ExecHooks): SpecResult {
  const now = new Date().toISOString();
  const result: SpecResult = {
    id: spec.id,
    status: 'stopped',
    failure,
    reason,
    worker: 'kubernetes',
    startedAt: now,
    finishedAt: now,
    seconds: 0,
    provenance: { ...localProvenance('kubernetes'), host: 'not run' },
  };
  hooks.onEvent?.({ kind: 'finished', result });
  return result;
}
