/** The namespace caplab's objects live in; it enforces the Pod Security "restricted" profile. */
import { commonLabels, checkDnsLabel } from '../labels.ts';
import type { KubeObject } from '../types.ts';

export const DEFAULT_NAMESPACE = 'caplab';

export function buildNamespace(name: string = DEFAULT_NAMESPACE): KubeObject {
  checkDnsLabel('namespace', name);
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: {
        ...commonLabels('namespace'),
        // Workers are built to the restricted profile; enforcing it catches a regression on the
        // cluster instead of in a security review.
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/warn': 'restricted',
      },
    },
  };
}
