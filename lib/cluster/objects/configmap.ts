/**
 * The ConfigMap that carries a Job's specs: one key, `specs.json`, the JSON array of specs. Each
 * pod gets it as the env var CAPLAB_SPECS and picks its spec by JOB_COMPLETION_INDEX.
 */
import { CaplabError } from '../../errors.ts';
import type { Spec } from '../../spec/types.ts';
import { commonLabels } from '../labels.ts';
import type { ConfigMap } from '../types.ts';

export const SPECS_KEY = 'specs.json';
/**
 * The specs travel as one environment variable, and Linux caps one env string at 128 KiB
 * (MAX_ARG_STRLEN); a ConfigMap could hold 1 MiB, the env var cannot.
 */
export const MAX_SPECS_BYTES = 128 * 1024 - 64;

export interface SpecsConfigMapOptions {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function buildSpecsConfigMap(specs: Spec[], options: SpecsConfigMapOptions): ConfigMap {
  const json = JSON.stringify(specs);
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_SPECS_BYTES) {
    throw new CaplabError('specs-too-large', `The ${specs.length} specs for ${options.name} take ${bytes} bytes as JSON; one Job carries at most ${MAX_SPECS_BYTES}.`, {
      hint: 'Submit fewer specs per Job (split the search), or move large payloads (data) to the PVC and reference them.',
    });
  }
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: options.name,
      ...(options.namespace ? { namespace: options.namespace } : {}),
      labels: { ...commonLabels('search-specs'), ...(options.labels ?? {}) },
      ...(options.annotations ? { annotations: options.annotations } : {}),
    },
    data: { [SPECS_KEY]: json },
  };
}
