/**
 * The worker pod: one container running `caplab worker`, requests and limits always set, and
 * the Pod Security "restricted" profile (non-root, no privilege escalation, read-only root
 * filesystem, all capabilities dropped, RuntimeDefault seccomp), so it runs in a namespace that
 * enforces it.
 */
import { CaplabError } from '../../errors.ts';
import { cpu, cpuQuantity, memory, memoryQuantity, toCpu, toMemory, type Cpu, type Memory } from '../units.ts';
import { CAPLAB_VERSION } from '../../version.ts';
import type { Container, EnvVar, PodTemplate, Volume } from '../types.ts';
import { withDefaults } from '../../util/defaults.ts';

export const WORKER_CONTAINER = 'worker';
export const SCRATCH_PATH = '/scratch';
/** Where the data claim is mounted in worker pods. */
export const DATA_PATH = '/data';
/** Where a rank's checkpoint folder on the claim is mounted (read-write), and the env var naming it. */
export const CHECKPOINT_PATH = '/checkpoint';
export const CHECKPOINT_ENV = 'CAPLAB_CHECKPOINT_DIR';
/** The uid of the `node` user in the official Node.js images (k8s/Dockerfile runs as it). */
export const WORKER_UID = 1000;

export interface WorkerPodOptions {
  /** Container image. Default `caplab:0.1.0` (what k8s/deploy.ts builds; IfNotPresent suits kind/minikube). */
  image?: string;
  /** Pull policy. Default `IfNotPresent`. */
  imagePullPolicy?: Container['imagePullPolicy'];
  /** The command. Default `['caplab', 'worker']`. */
  command?: string[];
  args?: string[];
  /** CPU request, also the limit (Guaranteed QoS: timings don't depend on neighbours). Default 1 core. */
  cpu?: Cpu | string | number;
  /** Memory request and limit. Default 1Gi. */
  memory?: Memory | string;
  /** CPU limit when it should differ from the request. Default = cpu. */
  cpuLimit?: Cpu | string | number;
  /** Scratch emptyDir size (mounted at /scratch, CAPLAB_SCRATCH). Default 2Gi. */
  scratch?: Memory | string;
  /** Worker ServiceAccount (k8s/ makes it, with no API token). Default `caplab-worker`. */
  serviceAccountName?: string;
  /** Extra environment. */
  env?: EnvVar[];
  /** A PVC to mount at /data (imported datasets, results). Default none: synthetic data is regenerated in the pod. */
  dataClaim?: string;
  /** Mount the claim read-only. Default true. */
  dataReadOnly?: boolean;
  /** Pod labels. */
  labels?: Record<string, string>;
  /** Headless-service subdomain (distributed ranks). Default none. */
  subdomain?: string;
  /**
   * A claim mounted read-write at /checkpoint, and the folder on it (env CAPLAB_CHECKPOINT_DIR =
   * /checkpoint/<subPath>) for checkpoints that must outlive the pod; /data stays read-only. The
   * worker makes the folder itself: a `subPath` folder the kubelet makes is owned by root, which
   * the non-root worker could not write. Default none.
   */
  checkpoint?: { claim: string; subPath: string };
}

export const workerPodDefaults = {
  image: `caplab:${CAPLAB_VERSION}`,
  imagePullPolicy: 'IfNotPresent' as Container['imagePullPolicy'],
  command: ['caplab', 'worker'],
  cpu: cpu.cores(1) as Cpu | string | number,
  memory: memory.gibibytes(1) as Memory | string,
  scratch: memory.gibibytes(2) as Memory | string,
  serviceAccountName: 'caplab-worker',
  dataReadOnly: true,
};

/** The pod template of a worker Job. */
export function buildWorkerPodTemplate(options: WorkerPodOptions = {}): PodTemplate {
  const o = withDefaults(workerPodDefaults, options);
  const req = { cpu: toCpu(o.cpu, 'cpu'), memory: toMemory(o.memory, 'memory') };
  const cpuLimit = o.cpuLimit === undefined ? req.cpu : toCpu(o.cpuLimit, 'cpuLimit');
  if (cpuLimit.millis < req.cpu.millis) {
    throw new CaplabError('bad-resources', `cpuLimit ${cpuQuantity(cpuLimit)} is below the cpu request ${cpuQuantity(req.cpu)}.`, {
      hint: 'A limit must be at least the request: raise cpuLimit or lower cpu.',
    });
  }
  if (req.memory.bytes < 64 * 1024 * 1024) {
    throw new CaplabError('bad-resources', `memory ${memoryQuantity(req.memory)} is too small for a Node.js worker.`, {
      hint: 'Give at least 64Mi; a training trial wants 512Mi or more.',
    });
  }
  if (!o.image || /\s/.test(o.image)) {
    throw new CaplabError('bad-image', `image "${o.image}" is not an image reference.`, { hint: 'Pass e.g. --image registry.example/caplab:0.1.0.' });
  }
  const volumes: Volume[] = [
    { name: 'scratch', emptyDir: { sizeLimit: memoryQuantity(toMemory(o.scratch, 'scratch')) } },
    { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
  ];
  const volumeMounts: Container['volumeMounts'] = [
    { name: 'scratch', mountPath: SCRATCH_PATH },
    { name: 'tmp', mountPath: '/tmp' },
  ];
  if (o.dataClaim) {
    volumes.push({ name: 'data', persistentVolumeClaim: { claimName: o.dataClaim, readOnly: o.dataReadOnly } });
    volumeMounts.push({ name: 'data', mountPath: DATA_PATH, readOnly: o.dataReadOnly });
  }
  if (o.checkpoint) {
    checkSubPath(o.checkpoint.subPath);
    const shared = volumes.find((v) => v.persistentVolumeClaim?.claimName === o.checkpoint!.claim);
    if (shared) {
      // One volume per claim, writable at the volume; /data's own mount stays read-only.
      shared.persistentVolumeClaim = { claimName: o.checkpoint.claim };
    } else volumes.push({ name: 'checkpoint', persistentVolumeClaim: { claimName: o.checkpoint.claim } });
    volumeMounts.push({ name: shared?.name ?? 'checkpoint', mountPath: CHECKPOINT_PATH });
  }
  const env: EnvVar[] = [
    { name: 'CAPLAB_SCRATCH', value: SCRATCH_PATH },
    // Where /data is mounted, for dataset paths that arrive in spec payloads (see trial-worker).
    ...(o.dataClaim ? [{ name: 'CAPLAB_DATA_MOUNT', value: DATA_PATH }] : []),
    ...(o.checkpoint ? [{ name: CHECKPOINT_ENV, value: `${CHECKPOINT_PATH}/${o.checkpoint.subPath}` }] : []),
    // HOME on the read-only root filesystem would break anything that caches there.
    { name: 'HOME', value: '/tmp' },
    { name: 'CAPLAB_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'CAPLAB_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
    ...(o.env ?? []),
  ];
  const container: Container = {
    name: WORKER_CONTAINER,
    image: o.image,
    imagePullPolicy: o.imagePullPolicy,
    command: o.command,
    ...(o.args ? { args: o.args } : {}),
    env,
    resources: {
      requests: { cpu: cpuQuantity(req.cpu), memory: memoryQuantity(req.memory) },
      limits: { cpu: cpuQuantity(cpuLimit), memory: memoryQuantity(req.memory) },
    },
    securityContext: {
      runAsNonRoot: true,
      runAsUser: WORKER_UID,
      runAsGroup: WORKER_UID,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts,
  };
  return {
    metadata: { labels: { ...(o.labels ?? {}) } },
    spec: {
      restartPolicy: 'Never',
      serviceAccountName: o.serviceAccountName,
      // Workers never call the API: no token in the pod.
      automountServiceAccountToken: false,
      // Service env vars are noise for a worker and grow with the namespace.
      enableServiceLinks: false,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: WORKER_UID,
        runAsGroup: WORKER_UID,
        fsGroup: WORKER_UID,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [container],
      volumes,
      ...(o.subdomain ? { subdomain: o.subdomain } : {}),
    },
  };
}

/** A relative path below the claim's root: no `..`, no leading '/'. */
function checkSubPath(subPath: string): void {
  const parts = subPath.split('/');
  if (!subPath || subPath.startsWith('/') || parts.some((p) => p === '..' || p === '.' || p === '')) {
    throw new CaplabError('bad-volume', `checkpoint subPath "${subPath}" is not a relative folder inside the claim.`, {
      hint: 'Use a path like caplab-checkpoints/<run>, without "..", "." or a leading "/".',
    });
  }
}

