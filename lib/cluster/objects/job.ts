/**
 * The Indexed Job that runs a list of specs: pod i runs spec i (JOB_COMPLETION_INDEX). Failure
 * handling is the Job controller's, tuned for trials: a bad-config exit fails only that index
 * (no retry: it can never succeed), a disruption (preemption, drain, node-pressure eviction) is
 * retried without counting, and finished Jobs clean themselves up after a while.
 */
import { CaplabError, EXIT_BAD_CONFIG } from '../../errors.ts';
import { commonLabels, checkDnsLabel } from '../labels.ts';
import { duration, type Duration } from '../units.ts';
import type { Job, PodTemplate } from '../types.ts';
import { WORKER_CONTAINER } from './pod.ts';
import { withDefaults } from '../../util/defaults.ts';

export interface IndexedJobOptions {
  /** Job name (DNS-1123, at most 52 chars so pod hostnames `<job>-<index>` stay legal). */
  name: string;
  namespace?: string;
  /** How many indexes (= specs). */
  completions: number;
  /** Pods at once. Default = completions (everything in parallel). */
  parallelism?: number;
  /**
   * Retries per index after a counted failure. Default 0: a trial is deterministic, so a crash
   * or an OOM repeats; disruptions are retried anyway (the Ignore rule).
   */
  retries?: number;
  /** Delete the Job and its pods this long after it finishes. Default 1 hour (time to read logs). */
  ttlAfterFinished?: Duration;
  /** Fail the whole Job after this long. Default none. */
  activeDeadline?: Duration;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** The `app.kubernetes.io/component` label. Default `search-worker`. */
  component?: string;
  /**
   * The indexes are ranks of one group that train together (data-parallel): a rank that fails or
   * is disrupted fails the whole Job at once (FailJob: the Job controller ends the other ranks,
   * which could not go on without it), nothing is retried in place (the caller restarts the group
   * from its checkpoint), and a replacement pod starts only once the old one has fully terminated
   * (`podReplacementPolicy: Failed`), so two pods never hold one rank. Default false.
   */
  group?: boolean;
  template: PodTemplate;
}

export const indexedJobDefaults = {
  retries: 0,
  ttlAfterFinished: duration.hours(1),
  component: 'search-worker',
};

export const MAX_JOB_NAME = 52;

export function buildIndexedJob(options: IndexedJobOptions): Job {
  const o = withDefaults(indexedJobDefaults, options);
  checkDnsLabel('Job name', o.name, MAX_JOB_NAME);
  positiveInt('completions', o.completions, 'one index per spec: pass at least one spec');
  const parallelism = o.parallelism ?? o.completions;
  positiveInt('parallelism', parallelism, 'pods at once: at least 1');
  if (!Number.isInteger(o.retries) || o.retries < 0 || o.retries > 6) {
    throw new CaplabError('bad-job', `retries ${o.retries} is out of range.`, { hint: 'Use an integer from 0 to 6 (retries per index).' });
  }
  if (o.activeDeadline && !(o.activeDeadline.seconds > 0)) {
    throw new CaplabError('bad-job', `activeDeadline ${o.activeDeadline.seconds}s must be positive.`, { hint: 'Use e.g. duration.minutes(30), or leave it out.' });
  }
  const labels = { ...commonLabels(o.component), ...(o.labels ?? {}) };
  const template: PodTemplate = {
    ...o.template,
    metadata: { ...o.template.metadata, labels: { ...labels, ...o.template.metadata.labels } },
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: o.name,
      ...(o.namespace ? { namespace: o.namespace } : {}),
      labels,
      ...(o.annotations ? { annotations: o.annotations } : {}),
    },
    spec: {
      completionMode: 'Indexed',
      completions: o.completions,
      parallelism: Math.min(parallelism, o.completions),
      ...(o.group ? groupFailurePolicy() : indexFailurePolicy(o.retries)),
      ttlSecondsAfterFinished: Math.round(o.ttlAfterFinished.seconds),
      ...(o.activeDeadline ? { activeDeadlineSeconds: Math.round(o.activeDeadline.seconds) } : {}),
      template,
    },
  };
}

/** Trials: each index on its own; a bad config fails only its index, a disruption is retried uncounted. */
function indexFailurePolicy(retries: number): Pick<Job['spec'], 'backoffLimitPerIndex' | 'podFailurePolicy' | 'podReplacementPolicy'> {
  return {
    backoffLimitPerIndex: retries,
    podFailurePolicy: {
      rules: [
        // First matching rule wins: a disrupted pod is retried whatever its exit code.
        { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
        { action: 'FailIndex', onExitCodes: { containerName: WORKER_CONTAINER, operator: 'In', values: [EXIT_BAD_CONFIG] } },
      ],
    },
  };
}

/** Ranks: any failure or disruption of one rank fails the group at once. */
function groupFailurePolicy(): Pick<Job['spec'], 'backoffLimit' | 'podFailurePolicy' | 'podReplacementPolicy'> {
  return {
    backoffLimit: 0,
    podReplacementPolicy: 'Failed',
    podFailurePolicy: {
      rules: [
        { action: 'FailJob', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
        { action: 'FailJob', onExitCodes: { containerName: WORKER_CONTAINER, operator: 'NotIn', values: [0] } },
      ],
    },
  };
}

function positiveInt(field: string, v: number, rule: string): void {
  if (!Number.isInteger(v) || v < 1) throw new CaplabError('bad-job', `${field} ${v} must be a positive integer.`, { hint: rule });
}
