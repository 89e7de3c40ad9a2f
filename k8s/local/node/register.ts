/**
 * The Node object and its heartbeats, as the kubelet keeps them: register with capacity =
 * allocatable (cpu, memory, pods, ephemeral-storage), InternalIP, the log endpoint's port and a
 * Ready condition; renew the Lease in kube-node-lease every 10 s (what the node-lifecycle
 * controller watches); refresh the Ready condition every minute.
 */
import { statfsSync } from 'node:fs';
import { arch } from 'node:os';
import { ApiError, type Api } from '../api.ts';
import type { NodeConfig } from './config.ts';
import type { WireObject } from './wire.ts';

export const LEASE_SECONDS = 40;
export const RENEW_MS = 10_000;

const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const micro = (): string => new Date().toISOString().replace(/Z$/, '000Z');

function goArch(): string {
  const a = arch();
  return a === 'x64' ? 'amd64' : a === 'arm64' ? 'arm64' : a;
}

function conditions(since: string): object[] {
  const t = now();
  const c = (type: string, status: string, reason: string, message: string) => ({ type, status, reason, message, lastHeartbeatTime: t, lastTransitionTime: since });
  return [
    c('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    c('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    c('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    c('Ready', 'True', 'KubeletReady', 'caplab process node is posting ready status'),
  ];
}

export function nodeStatus(cfg: NodeConfig, since: string): object {
  let disk = 20 * 2 ** 30;
  try {
    const s = statfsSync(cfg.dir);
    disk = s.bavail * s.bsize;
  } catch {
    // Keep the default.
  }
  const resources = { cpu: cfg.cpu, memory: cfg.memory, pods: String(cfg.pods), 'ephemeral-storage': String(disk) };
  return {
    capacity: resources,
    allocatable: resources,
    conditions: conditions(since),
    addresses: [{ type: 'InternalIP', address: cfg.ip }, { type: 'Hostname', address: cfg.name }],
    daemonEndpoints: { kubeletEndpoint: { Port: cfg.port } },
    nodeInfo: {
      machineID: '', systemUUID: '', bootID: '', kernelVersion: '', osImage: 'caplab process node',
      containerRuntimeVersion: 'caplab-process://1', kubeletVersion: cfg.kubeletVersion, kubeProxyVersion: '',
      operatingSystem: 'linux', architecture: goArch(),
    },
  };
}

/** Creates (or takes over) the Node and writes its status. Returns it. */
export async function registerNode(api: Api, cfg: NodeConfig, since: string): Promise<WireObject> {
  const body = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: cfg.name,
      labels: { 'kubernetes.io/hostname': cfg.name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': goArch(), 'caplab.local/process-node': 'true' },
    },
    spec: { podCIDR: cfg.podCidr, podCIDRs: [cfg.podCidr] },
  };
  try {
    await api.post('/api/v1/nodes', body);
  } catch (e) {
    if (!(e instanceof ApiError && e.code === 409)) throw e;
  }
  return api.patch(`/api/v1/nodes/${cfg.name}/status`, { status: nodeStatus(cfg, since) });
}

export async function renewLease(api: Api, cfg: NodeConfig, node: WireObject): Promise<void> {
  const path = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${cfg.name}`;
  const spec = { holderIdentity: cfg.name, leaseDurationSeconds: LEASE_SECONDS, renewTime: micro() };
  const current = await api.find(path);
  if (current) {
    await api.put(path, { ...current, spec: { ...current.spec, ...spec } });
    return;
  }
  await api.post('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: cfg.name,
      namespace: 'kube-node-lease',
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: cfg.name, uid: node.metadata.uid }],
    },
    spec,
  });
}

export async function heartbeat(api: Api, cfg: NodeConfig, since: string): Promise<WireObject> {
  return api.patch(`/api/v1/nodes/${cfg.name}/status`, { status: { conditions: conditions(since) } });
}
