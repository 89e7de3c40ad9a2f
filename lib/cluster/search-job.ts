/**
 * The manifests of one search submission: a ConfigMap with the specs and the Indexed Job that
 * runs them, named so a resubmit finds them again. The name comes from the experiment id plus a
 * hash of the spec ids (a resume that submits only the missing specs gets its own Job); the
 * spec-hash annotation covers everything else (payloads, image, resources), so a resubmit of the
 * same ids with other content is caught instead of silently attaching.
 */
import { CaplabError } from '../errors.ts';
import type { Spec } from '../spec/types.ts';
import { ANNOTATION, LABEL, labelValue, slug } from './labels.ts';
import { contentHash } from '../util/canonical.ts';
import { SPECS_KEY, buildSpecsConfigMap } from './objects/configmap.ts';
import { MAX_JOB_NAME, buildIndexedJob } from './objects/job.ts';
import { buildWorkerPodTemplate, type WorkerPodOptions } from './objects/pod.ts';
import { definedOnly } from '../util/defaults.ts';
import { buildHeadlessService, type Service } from './objects/service.ts';
import type { ConfigMap, Job } from './types.ts';
import type { Duration } from './units.ts';

export interface SearchJobOptions extends Omit<WorkerPodOptions, 'labels' | 'env' | 'subdomain'> {
  /** Experiment id: names the Job and labels everything. Default `search`. */
  experiment?: string;
  namespace?: string;
  /** Pods at once. Default: all specs at once. */
  parallelism?: number;
  /** Retries per index. Default 0 (see buildIndexedJob). */
  retries?: number;
  /** Fail the Job after this long. Default none. */
  activeDeadline?: Duration;
  /** Clean up this long after the Job finishes. Default 1 hour. */
  ttlAfterFinished?: Duration;
  /**
   * The specs are ranks of one data-parallel group (see buildRankJob): every pod at once, a
   * headless Service named like the Job with the pods in its `subdomain` (pod i is
   * `<job>-i.<job>`), and one failed rank fails the Job. Default false.
   */
  group?: boolean;
  /** The group's rendezvous port, published by its Service. Default 29500. */
  groupPort?: number;
}

export interface SearchJobManifests {
  name: string;
  specHash: string;
  configMap: ConfigMap;
  job: Job;
  /** The headless Service of a rank group (option `group`). */
  service?: Service;
}

export function searchJobName(specs: Spec[], experiment = 'search'): string {
  const idsHash = contentHash(specs.map((s) => s.id).sort()).slice(0, 8);
  const room = MAX_JOB_NAME - 'caplab-'.length - 1 - idsHash.length;
  return `caplab-${slug(experiment.replace(/^caplab[-_]/i, ''), room)}-${idsHash}`;
}

export function buildSearchJob(specs: Spec[], options: SearchJobOptions = {}): SearchJobManifests {
  if (specs.length === 0) {
    throw new CaplabError('no-specs', 'buildSearchJob got no specs.', { hint: 'Pass at least one spec (a resume with nothing missing has nothing to submit).' });
  }
  const ids = new Set<string>();
  for (const s of specs) {
    if (ids.has(s.id)) throw new CaplabError('duplicate-spec', `Spec id "${s.id}" appears twice.`, { hint: 'Give every spec a unique id.' });
    ids.add(s.id);
  }
  const o = definedOnly(options);
  const experiment = o.experiment ?? 'search';
  const name = searchJobName(specs, experiment);
  const labels = { [LABEL.experiment]: labelValue(experiment), [LABEL.job]: name };
  if (o.group && o.parallelism !== undefined && o.parallelism !== specs.length) {
    throw new CaplabError('bad-job', `parallelism ${o.parallelism} is not the group's ${specs.length} ranks.`, {
      hint: 'Ranks train together: every rank needs its pod at once. Leave parallelism out.',
    });
  }
  const { group: _group, groupPort: _port, ...podOptions } = o;
  const template = buildWorkerPodTemplate({
    ...podOptions,
    ...(o.group ? { subdomain: name } : {}),
    labels,
    env: [
      { name: 'CAPLAB_SPECS', valueFrom: { configMapKeyRef: { name, key: SPECS_KEY } } },
      { name: 'CAPLAB_EXECUTOR', value: 'kubernetes' },
      { name: 'CAPLAB_EXPERIMENT', value: experiment },
    ],
  });
  const specHash = contentHash({ specs, template });
  const annotations = {
    [ANNOTATION.specHash]: specHash,
    [ANNOTATION.specCount]: String(specs.length),
  };
  const configMap = buildSpecsConfigMap(specs, { name, namespace: o.namespace, labels, annotations });
  const job = buildIndexedJob({
    name,
    namespace: o.namespace,
    completions: specs.length,
    parallelism: o.parallelism,
    retries: o.retries,
    activeDeadline: o.activeDeadline,
    ttlAfterFinished: o.ttlAfterFinished,
    labels,
    annotations,
    template,
    ...(o.group ? { group: true, component: 'rank-worker' } : {}),
  });
  if (!o.group) return { name, specHash, configMap, job };
  const service = buildHeadlessService({ name, namespace: o.namespace, selector: { [LABEL.job]: name }, labels, port: o.groupPort });
  return { name, specHash, configMap, job, service };
}
