/** The kinds the double serves, as an apiserver's discovery describes them. */
export interface ResourceInfo {
  /** Plural, the path segment: "jobs". */
  plural: string;
  kind: string;
  /** API group; '' for the core group. */
  group: string;
  version: string;
  namespaced: boolean;
  /** Kinds stored with a metadata.generation that moves on spec changes. */
  generation?: boolean;
  /** Only `create` (reviews are answered, not stored). */
  createOnly?: boolean;
  verbs: string[];
  shortNames?: string[];
}

const ALL = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export const RESOURCES: ResourceInfo[] = [
  { plural: 'namespaces', kind: 'Namespace', group: '', version: 'v1', namespaced: false, verbs: ALL, shortNames: ['ns'] },
  { plural: 'nodes', kind: 'Node', group: '', version: 'v1', namespaced: false, verbs: ALL, shortNames: ['no'] },
  { plural: 'pods', kind: 'Pod', group: '', version: 'v1', namespaced: true, generation: true, verbs: ALL, shortNames: ['po'] },
  { plural: 'configmaps', kind: 'ConfigMap', group: '', version: 'v1', namespaced: true, verbs: ALL, shortNames: ['cm'] },
  { plural: 'secrets', kind: 'Secret', group: '', version: 'v1', namespaced: true, verbs: ALL },
  { plural: 'services', kind: 'Service', group: '', version: 'v1', namespaced: true, verbs: ALL, shortNames: ['svc'] },
  { plural: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', group: '', version: 'v1', namespaced: true, verbs: ALL, shortNames: ['pvc'] },
  { plural: 'serviceaccounts', kind: 'ServiceAccount', group: '', version: 'v1', namespaced: true, verbs: ALL, shortNames: ['sa'] },
  { plural: 'events', kind: 'Event', group: '', version: 'v1', namespaced: true, verbs: ALL, shortNames: ['ev'] },
  { plural: 'jobs', kind: 'Job', group: 'batch', version: 'v1', namespaced: true, generation: true, verbs: ALL },
  { plural: 'roles', kind: 'Role', group: 'rbac.authorization.k8s.io', version: 'v1', namespaced: true, verbs: ALL },
  { plural: 'rolebindings', kind: 'RoleBinding', group: 'rbac.authorization.k8s.io', version: 'v1', namespaced: true, verbs: ALL },
  { plural: 'clusterroles', kind: 'ClusterRole', group: 'rbac.authorization.k8s.io', version: 'v1', namespaced: false, verbs: ALL },
  { plural: 'clusterrolebindings', kind: 'ClusterRoleBinding', group: 'rbac.authorization.k8s.io', version: 'v1', namespaced: false, verbs: ALL },
  { plural: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview', group: 'authorization.k8s.io', version: 'v1', namespaced: false, createOnly: true, verbs: ['create'] },
];

export function resourceByPlural(group: string, version: string, plural: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
}

export function resourceNamed(plural: string): ResourceInfo {
  const r = RESOURCES.find((x) => x.plural === plural);
  if (!r) throw new Error(`k8s-fake: unknown resource ${plural}`);
  return r;
}

export function apiVersionOf(r: ResourceInfo): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** "jobs.batch" or "pods": how the apiserver names a resource in messages. */
export function qualifiedName(r: ResourceInfo): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}
