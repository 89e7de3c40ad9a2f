/**
 * What a pod says about its trial, read from reasons rather than guessed from exit codes:
 * OOMKilled is a reason (seen with exit 137 and with exit 0 and phase Succeeded), 137 alone is
 * any SIGKILL. Pods that cannot start (image pull, unschedulable, bad config reference) are
 * "stuck": they would wait forever, so the executor fails them fast with the message.
 */
import { EXIT_BAD_CONFIG } from '../errors.ts';
import { outOfMemory, type OomKind } from '../spec/oom.ts';
import type { FailureCode } from '../spec/types.ts';
import { ANNOTATION } from './labels.ts';
import { WORKER_CONTAINER } from './objects/pod.ts';
import type { V1Pod } from './vendor.ts';

export type PodTrialState =
  | { state: 'pending'; reason?: string; message?: string }
  | { state: 'running'; startedAt?: string }
  | { state: 'succeeded'; startedAt?: string; finishedAt?: string }
  | { state: 'failed'; failure: FailureCode; oom?: OomKind; reason: string; exitCode?: number; startedAt?: string; finishedAt?: string; disrupted: boolean }
  | { state: 'stuck'; failure: 'image-pull' | 'unschedulable' | 'bad-config'; reason: string; message: string };

const IMAGE_PULL = new Set(['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'ErrImageNeverPull', 'RegistryUnavailable']);
const BAD_CONFIG_WAIT = new Set(['CreateContainerConfigError', 'CreateContainerError']);

/** The Indexed Job index of a pod (annotation, or the label since Kubernetes 1.28), or -1. */
export function podIndex(pod: V1Pod): number {
  const raw = pod.metadata?.annotations?.[ANNOTATION.completionIndex] ?? pod.metadata?.labels?.[ANNOTATION.completionIndex];
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : -1;
}

function time(t: Date | string | undefined): string | undefined {
  if (t === undefined || t === null) return undefined;
  return t instanceof Date ? t.toISOString() : String(t);
}

export function podTrialState(pod: V1Pod): PodTrialState {
  const status = pod.status ?? {};
  const cs = (status.containerStatuses ?? []).find((c) => c.name === WORKER_CONTAINER) ?? status.containerStatuses?.[0];
  const limit = pod.spec?.containers?.find((c) => c.name === WORKER_CONTAINER)?.resources?.limits?.memory;
  const disrupted = (status.conditions ?? []).some((c) => c.type === 'DisruptionTarget' && c.status === 'True');
  const term = cs?.state?.terminated ?? (status.phase === 'Failed' || status.phase === 'Succeeded' ? cs?.lastState?.terminated : undefined);
  if (term) {
    const times = { startedAt: time(term.startedAt), finishedAt: time(term.finishedAt) };
    const oom = outOfMemory({ containerReason: term.reason ?? '', code: term.exitCode });
    if (oom) {
      return { state: 'failed', failure: 'oom', oom: oom.kind, reason: `OOMKilled: pod memory limit ${limit ?? 'unknown'} (exit code ${term.exitCode})`, exitCode: term.exitCode, disrupted, ...times };
    }
    if (term.exitCode === 0 && status.phase !== 'Failed') return { state: 'succeeded', ...times };
    if (term.exitCode === EXIT_BAD_CONFIG) {
      return { state: 'failed', failure: 'bad-config', reason: `The worker rejected its spec (exit code ${EXIT_BAD_CONFIG})${term.message ? `: ${term.message}` : ''}`, exitCode: term.exitCode, disrupted, ...times };
    }
    if (status.reason === 'DeadlineExceeded') return { state: 'failed', failure: 'timeout', reason: `The Job's deadline passed: ${status.message ?? 'activeDeadlineSeconds'}`, exitCode: term.exitCode, disrupted, ...times };
    const why = disrupted ? 'disrupted (preempted, evicted or its node went away)' : `${term.reason ?? 'Error'}: exit code ${term.exitCode}${term.signal ? `, signal ${term.signal}` : ''}`;
    return { state: 'failed', failure: disrupted ? 'disrupted' : 'crash', reason: `${why}${term.message ? ` — ${term.message.trim().split('\n').slice(-1)[0]}` : ''}`, exitCode: term.exitCode, disrupted, ...times };
  }
  if (status.phase === 'Failed') {
    // Failed without a container verdict: evicted before start, node lost, deadline.
    const failure = status.reason === 'DeadlineExceeded' ? 'timeout' : disrupted || status.reason === 'Evicted' ? 'disrupted' : 'crash';
    return { state: 'failed', failure, reason: `${status.reason ?? 'Failed'}: ${status.message ?? 'the pod failed before its container ran'}`, disrupted };
  }
  if (status.phase === 'Succeeded') return { state: 'succeeded' };
  const waiting = cs?.state?.waiting;
  if (waiting?.reason && IMAGE_PULL.has(waiting.reason)) {
    return { state: 'stuck', failure: 'image-pull', reason: waiting.reason, message: waiting.message ?? `cannot pull image ${cs?.image ?? ''}` };
  }
  if (waiting?.reason && BAD_CONFIG_WAIT.has(waiting.reason)) {
    return { state: 'stuck', failure: 'bad-config', reason: waiting.reason, message: waiting.message ?? waiting.reason };
  }
  const sched = (status.conditions ?? []).find((c) => c.type === 'PodScheduled');
  if (sched?.status === 'False' && sched.reason === 'Unschedulable') {
    return { state: 'stuck', failure: 'unschedulable', reason: 'Unschedulable', message: sched.message ?? 'no node can take this pod' };
  }
  if (cs?.state?.running || status.phase === 'Running') return { state: 'running', startedAt: time(cs?.state?.running?.startedAt) };
  return { state: 'pending', reason: waiting?.reason, message: waiting?.message };
}
