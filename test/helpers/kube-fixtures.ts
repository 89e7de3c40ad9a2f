/**
 * Job, Pod and Event objects as the API server returns them, for table tests of the supervisor's
 * reconcile; plus `drive`, which plays the driver's part synchronously (effects end at once, with
 * the logs and events a test gives).
 */
import { ANNOTATION, LABEL } from '../../lib/cluster/labels.ts';
import type { CoreV1Event, V1Job, V1Pod } from '../../lib/cluster/vendor.ts';
import type { Spec } from '../../lib/exec/types.ts';
import { formatResultLine } from '../../lib/spec/protocol.ts';
import {
  asked, jobDeleteDone, logRead, newState, podEventsRead, submitted, type Action, type PodEvents, type State, type SupervisionConfig,
} from '../../lib/exec/kubernetes-observed.ts';
import { reconcile } from '../../lib/exec/kubernetes-reconcile.ts';

export const JOB = 'caplab-grid-1a2b3c4d';
export const T0 = Date.parse('2026-12-01T10:00:00.000Z');
export const at = (ms: number) => new Date(T0 + ms).toISOString();

export function specs(n: number): Spec[] {
  return Array.from({ length: n }, (_, i) => ({ id: `t${i}`, kind: 'noop', payload: {} }));
}

/** A supervision of n specs whose submit went through. */
export function submittedState(n: number, config: Partial<SupervisionConfig> = {}): State {
  const s = newState(specs(n), {
    name: JOB, namespace: 'caplab', retries: 0, unschedulableGraceMs: 15_000, createFailedGraceMs: 5_000, followLogs: false, ...config,
  });
  submitted(s);
  return s;
}

export function withPods(s: State, ...pods: V1Pod[]): State {
  for (const p of pods) s.pods.set(p.metadata!.name!, p);
  return s;
}

interface PodOptions {
  name?: string;
  /** Creation time, ms after T0 (orders the attempts of one index). */
  created?: number;
  node?: string;
  job?: string;
  image?: string;
  memory?: string;
  cpu?: string;
}

function pod(index: number, status: Record<string, unknown>, o: PodOptions = {}): V1Pod {
  return {
    metadata: {
      name: o.name ?? `${o.job ?? JOB}-${index}-a`,
      creationTimestamp: at(o.created ?? 0),
      labels: { [LABEL.job]: o.job ?? JOB },
      annotations: { [ANNOTATION.completionIndex]: String(index) },
    },
    spec: {
      ...(o.node ? { nodeName: o.node } : {}),
      containers: [{ name: 'worker', image: o.image ?? 'caplab:0.1.0', resources: { requests: { cpu: o.cpu ?? '1', memory: o.memory ?? '512Mi' }, limits: { cpu: o.cpu ?? '1', memory: o.memory ?? '512Mi' } } }],
    },
    status,
  } as unknown as V1Pod;
}

export function pendingPod(index: number, o: PodOptions = {}): V1Pod {
  return pod(index, { phase: 'Pending', containerStatuses: [{ name: 'worker', state: { waiting: { reason: 'ContainerCreating' } } }] }, o);
}

export function runningPod(index: number, o: PodOptions = {}): V1Pod {
  return pod(index, { phase: 'Running', startTime: at(1000), containerStatuses: [{ name: 'worker', state: { running: { startedAt: at(1000) } } }] }, { node: 'node-1', ...o });
}

export function endedPod(index: number, t: { exitCode: number; reason?: string; phase?: 'Failed' | 'Succeeded'; message?: string; disrupted?: boolean }, o: PodOptions = {}): V1Pod {
  const phase = t.phase ?? (t.exitCode === 0 ? 'Succeeded' : 'Failed');
  const terminated = { exitCode: t.exitCode, reason: t.reason ?? (t.exitCode === 0 ? 'Completed' : 'Error'), startedAt: at(1000), finishedAt: at(3000), ...(t.message ? { message: t.message } : {}) };
  return pod(index, {
    phase, startTime: at(1000),
    containerStatuses: [{ name: 'worker', state: { terminated } }],
    ...(t.disrupted ? { conditions: [{ type: 'DisruptionTarget', status: 'True' }] } : {}),
  }, { node: 'node-1', ...o });
}

export function waitingPod(index: number, reason: string, message: string, o: PodOptions = {}): V1Pod {
  return pod(index, { phase: 'Pending', containerStatuses: [{ name: 'worker', image: o.image ?? 'caplab:0.1.0', state: { waiting: { reason, message } } }] }, { node: 'node-1', ...o });
}

export function unschedulablePod(index: number, message: string, o: PodOptions = {}): V1Pod {
  return pod(index, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }] }, o);
}

export function job(status: Record<string, unknown> = {}, uid = 'job-uid-1'): V1Job {
  return { metadata: { name: JOB, uid, labels: { [LABEL.job]: JOB } }, status } as unknown as V1Job;
}

export function failedJob(reason: string, message: string, extra: Record<string, unknown> = {}): V1Job {
  return job({ conditions: [{ type: 'Failed', status: 'True', reason, message }], ...extra });
}

export function failedCreate(message: string, o: { name?: string; resourceVersion?: string; uid?: string; seconds?: number } = {}): CoreV1Event {
  return {
    metadata: { name: o.name ?? `${JOB}.1`, uid: `ev-${o.name ?? 1}`, resourceVersion: o.resourceVersion ?? '10' },
    involvedObject: { kind: 'Job', name: JOB, uid: o.uid ?? 'job-uid-1' },
    type: 'Warning', reason: 'FailedCreate', message,
    lastTimestamp: at((o.seconds ?? 0) * 1000),
  } as unknown as CoreV1Event;
}

export function podWarning(message: string): CoreV1Event {
  return { type: 'Warning', reason: 'Failed', message } as unknown as CoreV1Event;
}

/** A worker log ending in its result line. */
export function resultLog(id: string, status: 'ok' | 'failed' | 'stopped', extra: Record<string, unknown> = {}): string {
  return `loading data\n${formatResultLine({ id, status, startedAt: at(1100), finishedAt: at(2900), seconds: 1.8, ...extra })}\n`;
}

export function observe(s: State, now = T0): Action[] {
  return reconcile({ ...s, now });
}

export const kinds = (actions: Action[]) => actions.map((a) => a.kind);
export const settles = (actions: Action[]) => actions.flatMap((a) => (a.kind === 'settle' ? [a] : []));

export interface World {
  /** Log text by pod name (missing: the pod's log is empty). */
  logs?: Record<string, string>;
  /** What a pod's events say (missing: nothing). */
  events?: Record<string, PodEvents>;
}

/**
 * Reconciles and applies until nothing new is asked (a requeue ends it: the time does not move),
 * ending every effect at once. Returns every action in order.
 */
export function drive(s: State, world: World = {}, now = T0): Action[] {
  const all: Action[] = [];
  for (let round = 0; round < 20; round++) {
    const actions = observe(s, now);
    all.push(...actions);
    let effects = 0;
    for (const a of actions) {
      asked(s, a);
      if (a.kind === 'submit') submitted(s);
      else if (a.kind === 'delete-job') jobDeleteDone(s);
      else if (a.kind === 'read-log') logRead(s, a.index, { log: world.logs?.[a.pod.metadata!.name!] ?? '' });
      else if (a.kind === 'read-pod-events') podEventsRead(s, a.key, world.events?.[a.pod] ?? { scaleUp: false });
      else continue;
      effects++;
    }
    if (effects === 0) return all;
  }
  throw new Error('reconcile did not settle down in 20 rounds');
}
