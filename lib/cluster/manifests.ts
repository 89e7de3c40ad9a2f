/**
 * What a kubernetes run would apply, without a cluster: `caplab search --executor kubernetes
 * --dry-run` prints it, and notebooks show it when no cluster is reachable.
 */
import type { Spec } from '../spec/types.ts';
import { DEFAULT_NAMESPACE } from './objects/namespace.ts';
import { buildSearchJob, type SearchJobOptions } from './search-job.ts';
import { toYamlDocuments } from './yaml.ts';
import type { KubeObject } from './types.ts';

export interface KubernetesManifestsOptions extends SearchJobOptions {}

/** The ConfigMap, Job (and a rank group's Service) a run of these specs applies, in apply order. */
export function kubernetesManifests(specs: Spec[], options: KubernetesManifestsOptions = {}): KubeObject[] {
  const { configMap, job, service } = buildSearchJob(specs, { namespace: DEFAULT_NAMESPACE, ...options });
  return service ? [configMap, service, job] : [configMap, job];
}

/** The same as YAML documents (what `kubectl apply -f -` takes). */
export function kubernetesManifestsYaml(specs: Spec[], options: KubernetesManifestsOptions = {}): string {
  return toYamlDocuments(kubernetesManifests(specs, options));
}
