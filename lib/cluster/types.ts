/**
 * The shapes of the manifests caplab builds: plain JSON objects of the Kubernetes API (batch/v1,
 * v1, rbac/v1), typed only as far as caplab fills them. Our own types, so the public API does not
 * leak the client library's generated classes.
 */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }>;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    configMapKeyRef?: { name: string; key: string };
    fieldRef?: { fieldPath: string };
    resourceFieldRef?: { containerName?: string; resource: string; divisor?: string };
  };
}

export interface Container {
  name: string;
  image: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  command: string[];
  args?: string[];
  env: EnvVar[];
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: Record<string, unknown>;
  volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean; subPath?: string }>;
  workingDir?: string;
}

export interface Volume {
  name: string;
  emptyDir?: { sizeLimit?: string; medium?: string };
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
}

export interface PodSpec {
  restartPolicy: 'Never' | 'OnFailure';
  serviceAccountName: string;
  automountServiceAccountToken: boolean;
  enableServiceLinks: boolean;
  securityContext: Record<string, unknown>;
  containers: Container[];
  volumes: Volume[];
  subdomain?: string;
  terminationGracePeriodSeconds?: number;
}

export interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec;
}

export interface PodFailurePolicyRule {
  action: 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';
  onExitCodes?: { containerName?: string; operator: 'In' | 'NotIn'; values: number[] };
  onPodConditions?: Array<{ type: string; status: 'True' | 'False' | 'Unknown' }>;
}

export interface JobSpec {
  completionMode?: 'Indexed' | 'NonIndexed';
  completions: number;
  parallelism: number;
  backoffLimit?: number;
  backoffLimitPerIndex?: number;
  podFailurePolicy?: { rules: PodFailurePolicyRule[] };
  /** `Failed`: a replacement pod starts only once the old one is terminal. */
  podReplacementPolicy?: 'Failed' | 'TerminatingOrFailed';
  ttlSecondsAfterFinished?: number;
  activeDeadlineSeconds?: number;
  template: PodTemplate;
}

export interface Job extends KubeObject {
  apiVersion: 'batch/v1';
  kind: 'Job';
  spec: JobSpec;
}

export interface ConfigMap extends KubeObject {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  data: Record<string, string>;
}
