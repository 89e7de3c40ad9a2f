/** What a fresh cluster already has: nodes, the system namespaces, a default ServiceAccount per namespace. */
import { release } from 'node:os';
import type { Ctx } from './context.ts';
import type { FakeObject, FakeNode } from './types.ts';
import { defaultNamespace } from './defaults.ts';
import { newMeta } from './store.ts';

function nodeObject(n: FakeNode, i: number, version: string): FakeObject {
  const capacity = { cpu: n.cpu, memory: n.memory, pods: '110', 'ephemeral-storage': '100Gi' };
  const t = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const cond = (type: string, status: string, reason: string, message: string) =>
    ({ type, status, lastHeartbeatTime: t, lastTransitionTime: t, reason, message });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: newMeta(n.name, undefined, {
      labels: { 'kubernetes.io/hostname': n.name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': 'amd64', ...(n.labels ?? {}) },
    }),
    spec: { podCIDR: `10.244.${i}.0/24`, podCIDRs: [`10.244.${i}.0/24`] },
    status: {
      capacity,
      allocatable: { ...capacity },
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [{ type: 'InternalIP', address: `10.0.0.${i + 1}` }, { type: 'Hostname', address: n.name }],
      nodeInfo: {
        kubeletVersion: version,
        kubeProxyVersion: version,
        containerRuntimeVersion: 'containerd://2.0.5',
        osImage: 'caplab k8s-fake (local processes)',
        kernelVersion: release(),
        operatingSystem: 'linux',
        architecture: 'amd64',
        machineID: '', systemUUID: '', bootID: '',
      },
    },
  };
}

function namespace(name: string): FakeObject {
  const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: newMeta(name) };
  defaultNamespace(ns);
  return ns;
}

export function seed(ctx: Ctx): void {
  // The ServiceAccount controller gives every namespace a "default" ServiceAccount.
  ctx.store.onChange((ev) => {
    if (ev.resource !== 'namespaces' || ev.type !== 'ADDED') return;
    const ns = ev.object.metadata.name;
    if (!ctx.store.has('serviceaccounts', ns, 'default')) {
      ctx.store.create('serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: newMeta('default', ns) });
    }
  });
  ctx.opts.nodes.forEach((n, i) => ctx.store.create('nodes', nodeObject(n, i, ctx.opts.serverVersion)));
  const names = ['default', 'kube-system', ...(ctx.opts.createNamespace ? [ctx.opts.namespace] : [])];
  for (const name of new Set(names)) ctx.store.create('namespaces', namespace(name));
  for (const sa of ctx.opts.serviceAccounts ?? []) {
    if (!ctx.store.has('serviceaccounts', ctx.opts.namespace, sa)) {
      ctx.store.create('serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: newMeta(sa, ctx.opts.namespace) });
    }
  }
}
