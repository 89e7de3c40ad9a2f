/**
 * What the caplab user may do in its namespace, and nothing more: one Role whose every rule
 * says why caplab needs it, bound to a group, plus a read-only ClusterRole for node capacity.
 * `caplab cluster check` asks the API (SelfSubjectAccessReview) for exactly these verbs.
 */
import { commonLabels } from '../labels.ts';
import type { KubeObject } from '../types.ts';

export interface Permission {
  group: string;
  resource: string;
  subresource?: string;
  verbs: string[];
  why: string;
  /** Cluster-scoped (nodes): not in the namespaced Role, optional for caplab. */
  clusterScoped?: boolean;
}

export const USER_ROLE = 'caplab-user';
export const USER_GROUP = 'caplab-users';
export const NODE_VIEWER_ROLE = 'caplab-node-viewer';

export const CAPLAB_PERMISSIONS: Permission[] = [
  { group: 'batch', resource: 'jobs', verbs: ['create', 'get', 'list', 'watch', 'delete'], why: 'submit a search as an Indexed Job, find it again on resubmit, watch it, and cancel it' },
  { group: '', resource: 'pods', verbs: ['get', 'list', 'watch', 'delete'], why: "map each pod's state and reason (OOMKilled, ImagePullBackOff…) to its trial; delete stops a trial early" },
  { group: '', resource: 'pods', subresource: 'log', verbs: ['get'], why: "read each trial's result: the last JSON line of its pod's log" },
  { group: '', resource: 'configmaps', verbs: ['create', 'get', 'patch', 'delete'], why: 'hand the trial specs to the pods; patch makes the Job own them so they go with it' },
  { group: '', resource: 'services', verbs: ['create', 'get', 'patch', 'delete'], why: 'a headless Service gives distributed-training ranks stable names (rank 0 is the rendezvous); patch makes the Job own it' },
  { group: '', resource: 'persistentvolumeclaims', verbs: ['get', 'list'], why: 'check that the dataset volume exists before a run mounts it' },
  { group: '', resource: 'events', verbs: ['get', 'list', 'watch'], why: 'quote the scheduler and kubelet messages when a pod cannot start, instead of waiting forever' },
  { group: '', resource: 'nodes', verbs: ['list'], why: 'show node capacity in `caplab cluster check` (optional, read-only)', clusterScoped: true },
];

/** The rules with their reasons, in order (the YAML writer puts the reason above each rule). */
export function userRoleRules(): Array<{ rule: Record<string, string[]>; why: string }> {
  return CAPLAB_PERMISSIONS.filter((p) => !p.clusterScoped).map((p) => ({
    rule: { apiGroups: [p.group], resources: [p.subresource ? `${p.resource}/${p.subresource}` : p.resource], verbs: p.verbs },
    why: p.why,
  }));
}

export function buildUserRole(namespace?: string): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: USER_ROLE, ...(namespace ? { namespace } : {}), labels: commonLabels('rbac') },
    rules: userRoleRules().map((r) => r.rule),
  };
}

/** Binds the Role to the group `caplab-users`; edit the subject (or add users) for your cluster. */
export function buildUserRoleBinding(namespace?: string, group: string = USER_GROUP): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: USER_ROLE, ...(namespace ? { namespace } : {}), labels: commonLabels('rbac') },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: USER_ROLE },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: group }],
  };
}

export function buildNodeViewerClusterRole(): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: NODE_VIEWER_ROLE, labels: commonLabels('rbac') },
    rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['list'] }],
  };
}

export function buildNodeViewerBinding(group: string = USER_GROUP): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: NODE_VIEWER_ROLE, labels: commonLabels('rbac') },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: NODE_VIEWER_ROLE },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: group }],
  };
}
