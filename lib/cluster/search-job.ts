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
}

export interface SearchJobManifests {
  name: string;
  specHash: string;
  configMap: ConfigMap;
  job: Job;
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
  const template = buildWorkerPodTemplate({
    ...o,
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
  });
  return { name, specHash, configMap, job };
}
