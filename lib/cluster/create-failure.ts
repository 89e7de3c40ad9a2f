/**
 * A Job whose pods the API server refuses (admission: missing ServiceAccount, ResourceQuota,
 * LimitRange, Pod Security) gets no pods at all, only Warning `FailedCreate` events on the Job
 * ("Error creating: pods "x-0-" is forbidden: …"). Its status never moves, so a watcher of pods
 * waits forever unless it reads those events. Here: which events count, and what to tell people.
 */
import type { CoreV1Event } from './vendor.ts';

/** The field selector of the events about one Job. */
export function jobEventsSelector(job: string): string {
  return `involvedObject.kind=Job,involvedObject.name=${job}`;
}

/**
 * A Warning FailedCreate about this Job. `uid`, when known, rules out events of an older Job with
 * the same name (events outlive their object by an hour).
 */
export function isCreateFailure(event: CoreV1Event, job: string, uid?: string): boolean {
  const about = event.involvedObject;
  if (event.type !== 'Warning' || event.reason !== 'FailedCreate') return false;
  if (about?.name !== job || (about.kind && about.kind !== 'Job')) return false;
  return !uid || !about.uid || about.uid === uid;
}

/** What a person reads: the API server's refusal, then what to do about it. */
export function createFailureReason(job: string, namespace: string, message: string): string {
  return `FailedCreate: Job ${job} cannot create its pods — ${message.trim()}. ${createFailureHint(job, namespace, message)}`;
}

export function createFailureHint(job: string, namespace: string, message: string): string {
  if (/service ?account/i.test(message)) {
    return `The worker ServiceAccount is missing: set up the namespace with \`npm run deploy\` (or \`kubectl apply -k k8s/\`), then run again.`;
  }
  if (/exceeded quota|resourcequota/i.test(message)) {
    return `A ResourceQuota in namespace ${namespace} refuses the pods: ask for less (--cpu, --memory, --parallelism) or raise the quota (kubectl describe resourcequota -n ${namespace}).`;
  }
  if (/limitrange|maximum .* usage|minimum .* usage/i.test(message)) {
    return `A LimitRange in namespace ${namespace} refuses the pods' resources: fit --cpu/--memory to it (kubectl describe limitrange -n ${namespace}).`;
  }
  if (/podsecurity|violates/i.test(message)) {
    return `Pod Security admission refuses the pods: use the worker pod caplab builds (restricted profile) and the namespace from \`kubectl apply -k k8s/\`.`;
  }
  return `See \`kubectl describe job ${job} -n ${namespace}\`; \`caplab cluster check\` lists what the namespace lacks.`;
}
