/** caplab on Kubernetes: kubeconfig, manifest builders, cluster check, Job submit/watch/cancel. */
export * from './units.ts';
export { ANNOTATION, LABEL, CAPLAB_VERSION, commonLabels, contentHash } from './labels.ts';
export type * from './types.ts';
export * from './yaml.ts';
export * from './build/pod.ts';
export * from './build/job.ts';
export * from './build/configmap.ts';
export * from './build/namespace.ts';
export * from './build/service-account.ts';
export * from './build/pvc.ts';
export * from './build/rbac.ts';
export * from './search-job.ts';
export * from './data-job.ts';
export * from './manifests.ts';
export * from './templates.ts';
