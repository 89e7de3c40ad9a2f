/**
 * Rules about the Job as a whole: submitting it, cancelling it, the Job failing, the Job deleted
 * by someone else, and the API server refusing to create its pods (FailedCreate events: a missing
 * ServiceAccount, a quota, Pod Security), which leaves a Job with no pods and a status that never
 * moves.
 */
import { podIndex, podTrialState } from '../cluster/pod-state.ts';
import { createFailureReason, isCreateFailure } from '../cluster/create-failure.ts';
import type { CoreV1Event } from '../cluster/vendor.ts';
import {
  deleteJob, deletingJob, isActive, jobFailedCondition, openIndexes, ours, push, requeue, settleRest, toMs, verdict, type Pass,
} from './kubernetes-reconcile-pass.ts';

/** Pods of a failed Job may still be arriving on the watch; indexes without any wait this long. */
export const JOB_FAILED_SETTLE_MS = 500;

/**
 * A cancel ends everything, whatever the pods say: the Job is deleted first, then the open specs
 * are stopped. Returns true when a cancel was asked (no other rule applies then).
 */
export function cancelRule(pass: Pass): boolean {
  const { o } = pass;
  if (!o.cancel) return false;
  if (o.submit === 'opening' || o.submit === 'ready') {
    settleRest(pass, 'stopped', 'cancelled', 'not submitted: the run was cancelled');
  } else if (o.submit === 'submitted') {
    if (o.jobDelete === 'none') deleteJob(pass);
    else if (o.jobDelete === 'done') settleRest(pass, 'stopped', 'cancelled', `cancelled: Job ${o.config.name} deleted (propagationPolicy Background)`);
  }
  // While submitting, the Job may be about to exist: wait for the submit to end, then delete it.
  return true;
}

/**
 * Submits once the watches are open (so no pod event is missed). Returns true until the submit has
 * gone through: before that, pods seen may belong to another submission of the same name, and
 * nothing is judged until submit has compared the spec hash.
 */
export function submitRule(pass: Pass): boolean {
  if (pass.o.submit === 'ready') push(pass, { kind: 'submit' });
  return pass.o.submit !== 'submitted';
}

/** Indexes of a failed Job that have no pod left have nothing to wait for. */
export function failedJobRule(pass: Pass): void {
  const { o } = pass;
  const failed = jobFailedCondition(o.job);
  if (!failed || openIndexes(pass).length === 0) return;
  const at = (pass.marks.jobFailedAt ??= o.now);
  if (o.now < at + JOB_FAILED_SETTLE_MS) return requeue(pass, at + JOB_FAILED_SETTLE_MS - o.now);
  const failure = failed.reason === 'DeadlineExceeded' ? 'timeout' : 'crash';
  const deleted = new Set(ours(o, o.deletedPods.values()).map(podIndex));
  for (const i of openIndexes(pass)) {
    if (pass.byIndex[i].length > 0) continue;
    const when = deleted.has(i) ? 'deleted this spec\'s pod before it reported' : 'before this spec ran';
    verdict(pass, i, 'failed', failure, `Job ${o.config.name} failed (${failed.reason}) ${when}: ${failed.message}`);
  }
}

/** Deleted by someone else (kubectl delete, its TTL): what the pods told is kept, the rest fail. */
export function jobGoneRule(pass: Pass): void {
  const { o } = pass;
  if (o.jobState !== 'gone' || deletingJob(pass)) return;
  settleRest(
    pass,
    'failed',
    'cancelled',
    `Job ${o.config.name} was deleted from outside caplab (kubectl delete, or its TTL) before this spec finished; run again (resume) to submit the missing specs.`,
  );
}

/**
 * Refused pods: after a grace (a quota race can clear up as other pods finish), fail the open specs
 * when the API server still refuses them and nothing of the Job runs or was created since. The Job
 * is deleted first, so it is gone (not retrying forever) by the time the results are in.
 */
export function createFailedRule(pass: Pass): void {
  const { o } = pass;
  const mark = pass.marks.createFailed;
  if (mark?.state === 'failing') {
    if (o.jobDelete === 'done') settleRest(pass, 'failed', 'create-failed', createFailureReason(o.config.name, o.config.namespace, mark.message));
    return;
  }
  if (deletingJob(pass)) return;
  const refusals = [...o.jobEvents.values()].filter((e) => isCreateFailure(e, o.config.name, o.job?.metadata?.uid));
  const stamps = refusals.map(stamp);
  const seen = ours(o, [...o.pods.values(), ...o.deletedPods.values()]).length;
  if (mark?.state !== 'armed') {
    // Armed by a refusal not judged before (a new event, or a repeat of one: its count went up).
    if (!stamps.some((s) => !(mark?.seen ?? []).includes(s))) return;
    pass.marks.createFailed = { state: 'armed', at: o.now, podsSeen: seen };
    return requeue(pass, o.config.createFailedGraceMs);
  }
  const due = mark.at + o.config.createFailedGraceMs;
  if (o.now < due) return requeue(pass, due - o.now);
  const latest = refusals.sort((a, b) => eventMs(a) - eventMs(b)).at(-1);
  const anyActive = ours(o, o.pods.values()).some((p) => isActive(podTrialState(p)));
  if (!latest || anyActive || seen > mark.podsSeen) {
    // Progress since the refusal (pods made, or running): wait for the next refusal.
    pass.marks.createFailed = { state: 'idle', seen: stamps };
    return;
  }
  pass.marks.createFailed = { state: 'failing', message: latest.message ?? 'the API server refused the pods' };
  deleteJob(pass);
}

/** One version of one event: a repeat bumps its count and resourceVersion. */
function stamp(e: CoreV1Event): string {
  return `${e.metadata?.uid ?? e.metadata?.name}@${e.metadata?.resourceVersion ?? e.count ?? ''}`;
}

function eventMs(e: CoreV1Event): number {
  return toMs(e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp);
}
