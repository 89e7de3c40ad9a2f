/**
 * The scheduler: binds a pod to the node with the most free memory among those that fit its
 * requests and nodeSelector, or marks it Unschedulable with the real scheduler's message.
 */
import type { Ctx } from './context.ts';
import type { FakeObject } from './types.ts';
import { podRequests, parseQuantity } from '../../k8s/local/node/quantity.ts';
import { recordEvent } from './events.ts';

const NOW = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

function setScheduled(pod: FakeObject, status: 'True' | 'False', reason?: string, message?: string): void {
  const conds: any[] = (pod.status.conditions ??= []).filter((c: any) => c.type !== 'PodScheduled');
  const c: any = { type: 'PodScheduled', status, lastProbeTime: null, lastTransitionTime: NOW() };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  pod.status.conditions = [...conds, c];
}

function unschedulableMessage(n: number, reasons: Map<string, number>): string {
  const parts = [...reasons].sort(([a], [b]) => a.localeCompare(b)).map(([r, k]) => `${k} ${r}`);
  const helpful = [...reasons.keys()].some((r) => r.startsWith('Insufficient'));
  const preemption = helpful
    ? `preemption: 0/${n} nodes are available: ${n} No preemption victims found for incoming pod.`
    : `preemption: 0/${n} nodes are available: ${n} Preemption is not helpful for scheduling.`;
  return `0/${n} nodes are available: ${parts.join(', ')}. ${preemption}`;
}

/** Tries to bind the pod; returns false when it stays Pending (unschedulable). */
export function schedule(ctx: Ctx, pod: FakeObject): boolean {
  const ns = pod.metadata.namespace!;
  const nodes = ctx.store.list('nodes');
  const fault = ctx.faults.forPod('unschedulable', pod);
  let message: string | undefined;
  if (fault) {
    message = fault.message ?? unschedulableMessage(nodes.length, new Map([['Insufficient memory', nodes.length]]));
  }
  const missingClaim = (pod.spec.volumes ?? []).find((v: any) => v.persistentVolumeClaim && !ctx.store.has('persistentvolumeclaims', ns, v.persistentVolumeClaim.claimName));
  if (!message && missingClaim) {
    message = `0/${nodes.length} nodes are available: persistentvolumeclaim "${missingClaim.persistentVolumeClaim.claimName}" not found. preemption: 0/${nodes.length} nodes are available: ${nodes.length} Preemption is not helpful for scheduling.`;
  }
  let chosen: FakeObject | undefined;
  if (!message) {
    const want = podRequests(pod);
    const reasons = new Map<string, number>();
    const bump = (r: string) => reasons.set(r, (reasons.get(r) ?? 0) + 1);
    let bestFree = -Infinity;
    const running = ctx.store.list('pods').filter((p) => p.spec?.nodeName && !['Succeeded', 'Failed'].includes(p.status?.phase));
    for (const node of nodes.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
      const sel: Record<string, string> = pod.spec.nodeSelector ?? {};
      if (Object.entries(sel).some(([k, v]) => node.metadata.labels?.[k] !== v)) {
        bump("node(s) didn't match Pod's node affinity/selector");
        continue;
      }
      const used = running.filter((p) => p.spec.nodeName === node.metadata.name).map(podRequests)
        .reduce((a, b) => ({ cpu: a.cpu + b.cpu, memory: a.memory + b.memory }), { cpu: 0, memory: 0 });
      const freeCpu = parseQuantity(node.status.allocatable.cpu) - used.cpu;
      const freeMem = parseQuantity(node.status.allocatable.memory) - used.memory;
      let fits = true;
      if (want.cpu > freeCpu + 1e-9) { bump('Insufficient cpu'); fits = false; }
      if (want.memory > freeMem) { bump('Insufficient memory'); fits = false; }
      if (fits && freeMem > bestFree) {
        bestFree = freeMem;
        chosen = node;
      }
    }
    if (!chosen) message = unschedulableMessage(nodes.length, reasons);
  }
  if (!chosen) {
    const updated = ctx.store.mutate('pods', ns, pod.metadata.name, (p) => setScheduled(p, 'False', 'Unschedulable', message));
    if (updated) recordEvent(ctx.store, updated, 'Warning', 'FailedScheduling', message!, { component: 'default-scheduler' });
    return false;
  }
  const node = chosen.metadata.name;
  const bound = ctx.store.mutate('pods', ns, pod.metadata.name, (p) => {
    p.spec.nodeName = node;
    setScheduled(p, 'True');
  });
  if (bound) recordEvent(ctx.store, bound, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${pod.metadata.name} to ${node}`, { component: 'default-scheduler' });
  return !!bound;
}
