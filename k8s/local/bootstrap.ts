/**
 * Objects `up` applies as admin before anyone uses the cluster: the namespace and RBAC from
 * k8s/ (so `caplab-user` gets exactly the Role caplab documents), the default StorageClass the
 * host-folder provisioner serves, and the read access the node agents need to keep pod host
 * files from EndpointSlices (what kube-proxy's role allows; the Node authorizer alone does not).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export const STORAGE_CLASS = 'caplab-local';
export const PROVISIONER = 'caplab.local/host-folder';

export function bootstrapObjects(): object[] {
  return [
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: STORAGE_CLASS, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: PROVISIONER,
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'Immediate',
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'caplab-local-node-proxier' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:node-proxier' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:nodes' }],
    },
  ];
}

/** kubectl apply as admin: k8s/namespace.yaml, k8s/rbac.yaml, then the objects above. */
export function applyBootstrap(kubectl: string, kubeconfig: string, repoRoot: string): void {
  const run = (args: string[], input?: string) => {
    try {
      execFileSync(kubectl, ['--kubeconfig', kubeconfig, '--context', 'caplab-local-admin', ...args], { input, stdio: ['pipe', 'pipe', 'pipe'], encoding: 'utf8' });
    } catch (e) {
      throw new Error(`kubectl ${args.join(' ')} failed: ${String((e as { stderr?: string }).stderr ?? e).trim()}`);
    }
  };
  run(['apply', '-f', join(repoRoot, 'k8s', 'namespace.yaml'), '-f', join(repoRoot, 'k8s', 'rbac.yaml')]);
  run(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: bootstrapObjects() }));
}
