/**
 * The one door to @kubernetes/client-node. Loaded lazily: building or printing manifests needs
 * no client, and importing caplab stays cheap where nobody talks to a cluster.
 */
export type K8s = typeof import('@kubernetes/client-node');
export type {
  KubeConfig,
  CoreV1Api,
  BatchV1Api,
  AuthorizationV1Api,
  VersionApi,
  V1Pod,
  V1Job,
  V1Node,
  CoreV1Event,
  V1ContainerStatus,
  KubernetesObject,
} from '@kubernetes/client-node';

let loaded: Promise<K8s> | undefined;

export function k8s(): Promise<K8s> {
  loaded ??= import('@kubernetes/client-node');
  return loaded;
}
