/** caplab on Kubernetes: kubeconfig, manifest builders, cluster check, Job submit/watch/cancel. */
export {
  cpu as kubeCpu,
  memory as kubeMemory,
  duration as kubeDuration,
  cpuQuantity,
  memoryQuantity,
  parseQuantity as parseKubeQuantity,
  parseCpu as parseKubeCpu,
  parseMemory as parseKubeMemory,
  type Cpu,
  type Memory,
  type Duration,
} from './units.ts';
export { ANNOTATION as CAPLAB_ANNOTATIONS, LABEL as CAPLAB_LABELS, commonLabels } from './labels.ts';
export type { KubeObject, ObjectMeta as KubeObjectMeta, Job as KubeJob, ConfigMap as KubeConfigMap, PodTemplate as KubePodTemplate, PodSpec as KubePodSpec, Container as KubeContainer, EnvVar as KubeEnvVar, Volume as KubeVolume, JobSpec as KubeJobSpec, PodFailurePolicyRule } from './types.ts';
export * from './yaml.ts';
export { buildWorkerPodTemplate, workerPodDefaults, WORKER_CONTAINER, SCRATCH_PATH, DATA_PATH as CLUSTER_DATA_PATH, WORKER_UID, type WorkerPodOptions } from './objects/pod.ts';
export * from './objects/job.ts';
export * from './objects/configmap.ts';
export * from './objects/namespace.ts';
export * from './objects/service-account.ts';
export * from './objects/pvc.ts';
export * from './objects/rbac.ts';
export * from './search-job.ts';
export * from './data-job.ts';
export * from './manifests.ts';
export * from './templates.ts';
export * from './kube.ts';
export * from './check.ts';
export { apiStatus, type ApiStatus } from './api-error.ts';
export { podTrialState, podIndex, type PodTrialState } from './pod-state.ts';
export { submitSearchJob, cancelSearchJob, type SubmitResult } from './jobs.ts';
export * from './capacity.ts';
