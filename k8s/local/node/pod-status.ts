/** Pod status as the kubelet writes it: phase, conditions, containerStatuses. */
import { randomBytes } from 'node:crypto';
import type { WireObject } from './wire.ts';

export const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export function setCondition(pod: WireObject, type: string, status: 'True' | 'False', reason?: string, message?: string): void {
  const conds: any[] = (pod.status.conditions ??= []);
  const old = conds.find((c) => c.type === type);
  const c: any = { type, status, lastProbeTime: null, lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now() };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  const order = ['PodReadyToStartContainers', 'DisruptionTarget', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'];
  pod.status.conditions = [...conds.filter((x) => x.type !== type), c].sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
}

export function containerStatus(pod: WireObject, name: string): any {
  const list: any[] = (pod.status.containerStatuses ??= []);
  let s = list.find((x) => x.name === name);
  if (!s) {
    const spec = pod.spec.containers.find((c: any) => c.name === name);
    s = { name, state: {}, lastState: {}, ready: false, restartCount: 0, image: spec?.image ?? '', imageID: '', started: false };
    list.push(s);
  }
  return s;
}

export function containerId(): string {
  return `containerd://${randomBytes(32).toString('hex')}`;
}

/** Not ready: Ready/ContainersReady False with the kubelet's reason and the unready containers. */
export function markUnready(pod: WireObject, reason = 'ContainersNotReady'): void {
  const names = (pod.spec.containers ?? []).map((c: any) => c.name);
  const msg = reason === 'ContainersNotReady' ? `containers with unready status: [${names.join(' ')}]` : undefined;
  setCondition(pod, 'Ready', 'False', reason, msg);
  setCondition(pod, 'ContainersReady', 'False', reason, msg);
}

export function setWaiting(pod: WireObject, name: string, reason: string, message?: string): void {
  const s = containerStatus(pod, name);
  s.state = { waiting: message ? { reason, message } : { reason } };
  s.ready = false;
  s.started = false;
}

export function setRunning(pod: WireObject, name: string, id: string): void {
  const s = containerStatus(pod, name);
  s.state = { running: { startedAt: now() } };
  s.containerID = id;
  s.imageID = `${s.image.includes('@') ? s.image : `${s.image}@sha256:${randomBytes(32).toString('hex')}`}`;
  s.ready = true;
  s.started = true;
}

export interface Terminated {
  exitCode: number;
  reason: string;
  message?: string;
  startedAt?: string;
  finishedAt: string;
  containerID?: string;
}

export function setTerminated(pod: WireObject, name: string, t: Terminated): void {
  const s = containerStatus(pod, name);
  const term: any = { exitCode: t.exitCode, reason: t.reason };
  if (t.message) term.message = t.message;
  term.startedAt = t.startedAt ?? s.state?.running?.startedAt ?? t.finishedAt;
  term.finishedAt = t.finishedAt;
  term.containerID = t.containerID ?? s.containerID;
  s.state = { terminated: term };
  s.ready = false;
  s.started = false;
}

/** Phase once every container has terminated (restartPolicy Never or after the last try). */
export function finalPhase(pod: WireObject): 'Succeeded' | 'Failed' | undefined {
  const sts: any[] = pod.status.containerStatuses ?? [];
  if (sts.length < (pod.spec.containers ?? []).length) return undefined;
  if (!sts.every((s) => s.state?.terminated)) return undefined;
  return sts.every((s) => s.state.terminated.exitCode === 0) ? 'Succeeded' : 'Failed';
}
