/**
 * Who talks to the local API server, and how: one bearer token per identity in the API server's
 * token file, and a kubeconfig per component. Tokens (not client certificates) because the
 * `caplab-user` identity must be as easy to hand to a test as the admin one, and a token file
 * is what the API server's static authentication reads.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';

export interface Identity {
  /** Kubeconfig user and context suffix. */
  name: string;
  user: string;
  groups: string[];
  token: string;
}

export const CONTEXT_PREFIX = 'caplab-local';
/** The group k8s/rbac.yaml binds its Role to. */
export const USER_GROUP = 'caplab-users';

function token(): string {
  return randomBytes(24).toString('base64url');
}

export function nodeUser(node: string): string {
  return `system:node:${node}`;
}

/** Every identity the control plane and its users need. */
export function makeIdentities(nodes: string[]): Identity[] {
  return [
    { name: 'admin', user: 'caplab-local-admin', groups: ['system:masters'], token: token() },
    { name: 'user', user: 'caplab-user', groups: [USER_GROUP], token: token() },
    { name: 'controller-manager', user: 'system:kube-controller-manager', groups: [], token: token() },
    { name: 'scheduler', user: 'system:kube-scheduler', groups: [], token: token() },
    // The Node authorizer and NodeRestriction key on this user name and group.
    ...nodes.map((n) => ({ name: `node-${n}`, user: nodeUser(n), groups: ['system:nodes'], token: token() })),
    { name: 'provisioner', user: 'caplab-local-provisioner', groups: ['system:masters'], token: token() },
  ];
}

/** The API server's --token-auth-file: token,user,uid,"group1,group2". */
export function writeTokenFile(path: string, ids: Identity[]): void {
  const lines = ids.map((i) => `${i.token},${i.user},${i.user},"${i.groups.join(',')}"`);
  writeFileSync(path, lines.join('\n') + '\n', { mode: 0o600 });
}

export interface KubeconfigOptions {
  server: string;
  caFile: string;
  /** Identities to include, each as context `caplab-local-<name>`; the first is current. */
  identities: Identity[];
  namespace?: string;
}

export function contextName(id: Identity): string {
  return `${CONTEXT_PREFIX}-${id.name}`;
}

export function writeKubeconfig(path: string, o: KubeconfigOptions): void {
  const cluster = CONTEXT_PREFIX;
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server: o.server, 'certificate-authority': o.caFile } }],
    users: o.identities.map((i) => ({ name: contextName(i), user: { token: i.token } })),
    contexts: o.identities.map((i) => ({
      name: contextName(i),
      context: { cluster, user: contextName(i), ...(o.namespace ? { namespace: o.namespace } : {}) },
    })),
    'current-context': contextName(o.identities[0]!),
    preferences: {},
  };
  // JSON is YAML: kubectl and the client read it as is, and no YAML writer is needed.
  writeFileSync(path, JSON.stringify(doc, null, 2) + '\n', { mode: 0o600 });
}
