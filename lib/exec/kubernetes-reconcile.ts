/**
 * The search-Job supervisor's decisions, as controller-runtime writes a controller: a pure
 * function from what is observed (the specs, the Job, its pods, its events, the time, a cancel,
 * what is settled, what was already asked) to actions (submit; settle these results; read this
 * pod's log or events; delete this pod or the Job; look again after N ms). It holds no timer and
 * does no I/O, so it is idempotent: called twice on the same snapshot it asks for the same things,
 * and never for what the snapshot shows was already asked.
 *
 *   const actions = reconcile({ ...state, now: Date.now() });
 *
 * The rules, in the order they apply:
 *  1. logs read since the last call become results (kubernetes-reconcile-pods.ts);
 *  2. a pod the search asked to stop that vanished is stopped early;
 *  3. a cancel wins over everything after it (kubernetes-reconcile-job.ts);
 *  4. nothing is judged before the submit went through;
 *  5. each open spec's pods: started, followed, stopped, or final (read its log);
 *  6. a failed Job settles the indexes with no pod; 7. a Job deleted from outside fails the rest;
 *  8. pods that cannot start fail the rest (kubernetes-reconcile-stuck.ts);
 *  9. pods the API server refuses to create fail the rest after a grace.
 */
import type { Action, Marks, Observed } from './kubernetes-observed.ts';
import { newPass, openIndexes, push, type Pass } from './kubernetes-reconcile-pass.ts';
import { judgePods, settleReadLogs, settleVanishedStops } from './kubernetes-reconcile-pods.ts';
import { cancelRule, createFailedRule, failedJobRule, jobGoneRule, submitRule } from './kubernetes-reconcile-job.ts';
import { failStuckPods } from './kubernetes-reconcile-stuck.ts';

export function reconcile(o: Observed): Action[] {
  const pass = newPass(o);
  settleReadLogs(pass);
  settleVanishedStops(pass);
  if (!cancelRule(pass) && !submitRule(pass)) {
    for (const i of openIndexes(pass)) judgePods(pass, i);
    failedJobRule(pass);
    jobGoneRule(pass);
    failStuckPods(pass);
    createFailedRule(pass);
  }
  return finish(pass);
}

/** Appends the marks (when they changed) and one requeue, the soonest any rule asked for. */
function finish(pass: Pass): Action[] {
  const marks = Object.fromEntries(Object.entries(pass.marks).filter(([, v]) => v !== undefined)) as Marks;
  if (!sameMarks(marks, pass.o.marks)) push(pass, { kind: 'mark', marks });
  if (pass.requeueMs !== undefined) push(pass, { kind: 'requeue', afterMs: pass.requeueMs });
  return pass.actions;
}

function sameMarks(a: object, b: object): boolean {
  const defined = (m: object) => JSON.stringify(Object.entries(m).filter(([, v]) => v !== undefined).sort(([x], [y]) => x.localeCompare(y)));
  return defined(a) === defined(b);
}
