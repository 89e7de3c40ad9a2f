/** The workers' ServiceAccount: an identity with no API token mounted and no permissions. */
import { commonLabels } from '../labels.ts';
import type { KubeObject } from '../types.ts';

export const WORKER_SERVICE_ACCOUNT = 'caplab-worker';

export function buildWorkerServiceAccount(namespace?: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: WORKER_SERVICE_ACCOUNT, ...(namespace ? { namespace } : {}), labels: commonLabels('worker') },
    // Workers read their spec from env and write results to stdout: they never call the API.
    automountServiceAccountToken: false,
  };
}
