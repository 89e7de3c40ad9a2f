/**
 * A Job that makes a dataset inside the cluster, on the PVC, instead of copying one in (copying
 * through `kubectl cp` is slow and can lose errors). It runs one caplab command with the claim
 * mounted read-write at /data, e.g. `caplab data generate --scale 50 --out /data/synthetic-50`.
 * Named by a hash of its command, so running the same preparation twice finds the same Job.
 */
import { CaplabError } from '../errors.ts';
import { contentHash } from '../util/canonical.ts';
import { buildIndexedJob } from './objects/job.ts';
import { buildWorkerPodTemplate, type WorkerPodOptions } from './objects/pod.ts';
import { definedOnly } from '../util/defaults.ts';
import { DATA_CLAIM } from './objects/pvc.ts';
import { duration } from './units.ts';
import type { Job } from './types.ts';

export interface DataJobOptions extends Omit<WorkerPodOptions, 'command' | 'args' | 'dataReadOnly' | 'labels'> {
  /** caplab arguments, e.g. ['data', 'generate', '--out', '/data/synthetic']. */
  args: string[];
  namespace?: string;
}

export function dataJobName(args: string[]): string {
  return `caplab-data-${contentHash(args).slice(0, 10)}`;
}

export function buildDataJob(options: DataJobOptions): Job {
  if (!options.args?.length) {
    throw new CaplabError('bad-job', 'A data Job needs the caplab command to run (args is empty).', { hint: "Pass e.g. args: ['data', 'generate', '--out', '/data/synthetic']." });
  }
  const { args, namespace, ...pod } = options;
  const template = buildWorkerPodTemplate({
    memory: '2Gi',
    ...definedOnly(pod),
    command: ['caplab', ...args],
    dataClaim: pod.dataClaim ?? DATA_CLAIM,
    dataReadOnly: false,
  });
  return buildIndexedJob({
    name: dataJobName(args),
    namespace,
    completions: 1,
    component: 'data',
    // A data Job is worth one retry: it is long, and a node can go away under it.
    retries: 1,
    ttlAfterFinished: duration.hours(24),
    template,
  });
}
