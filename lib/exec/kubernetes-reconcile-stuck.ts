/**
 * Pods that cannot start would wait forever. An image that cannot be pulled, or a container the
 * kubelet cannot create, fails the open specs at once; Unschedulable pods do so after a grace,
 * and only while none of the Job's pods holds a node (so nothing of ours will free room) and the
 * cluster autoscaler is not adding one. Both say why in the scheduler's or kubelet's words (the
 * pod's newest Warning event) and delete the Job.
 */
import { podTrialState, type PodTrialState } from '../cluster/pod-state.ts';
import type { V1Pod } from '../cluster/vendor.ts';
import { deleteJob, deletingJob, isActive, openIndexes, push, requeue, settleRest, type Pass } from './kubernetes-reconcile-pass.ts';

type Stuck = Extract<PodTrialState, { state: 'stuck' }>;
interface Judged { pod: V1Pod; st: PodTrialState }

export function failStuckPods(pass: Pass): void {
  if (deletingJob(pass)) return;
  const pods: Judged[] = openIndexes(pass).flatMap((i) => pass.byIndex[i].map((pod) => ({ pod, st: podTrialState(pod) })));
  const fatal = pods.find((x) => x.st.state === 'stuck' && x.st.failure !== 'unschedulable');
  if (fatal) {
    pass.marks.unschedulableSince = undefined;
    failCannotStart(pass, fatal.pod, fatal.st as Stuck);
    return;
  }
  failUnschedulable(pass, pods);
}

function failCannotStart(pass: Pass, pod: V1Pod, st: Stuck): void {
  const name = pod.metadata!.name!;
  const events = readEvents(pass, `cannot-start/${name}`, name);
  if (!events) return;
  const what = st.failure === 'image-pull' ? `image ${pod.spec?.containers?.[0]?.image} cannot be pulled` : 'the pod cannot start';
  settleRest(pass, 'failed', st.failure, `${st.reason}: ${what} — ${events.warning?.message ?? st.message}`);
  deleteJob(pass);
}

function failUnschedulable(pass: Pass, pods: Judged[]): void {
  const { o } = pass;
  const waiting = pods.filter((x) => x.st.state === 'stuck' && x.st.failure === 'unschedulable');
  const holdingANode = pods.some((x) => x.pod.spec?.nodeName && isActive(x.st));
  if (waiting.length === 0 || holdingANode) {
    pass.marks.unschedulableSince = undefined;
    return;
  }
  const since = (pass.marks.unschedulableSince ??= o.now);
  const due = since + o.config.unschedulableGraceMs;
  if (o.now < due) return requeue(pass, due - o.now);
  const { pod, st } = waiting[0] as { pod: V1Pod; st: Stuck };
  const name = pod.metadata!.name!;
  const events = readEvents(pass, `unschedulable/${name}/${since}`, name);
  if (!events) return;
  if (events.scaleUp) {
    push(pass, { kind: 'message', text: `Pods of ${o.config.name} wait for the cluster autoscaler to add a node.` });
    pass.marks.unschedulableSince = o.now;
    return requeue(pass, o.config.unschedulableGraceMs);
  }
  const req = pod.spec?.containers?.[0]?.resources?.requests;
  settleRest(pass, 'failed', 'unschedulable', `Unschedulable: no node can take a pod asking for ${req?.cpu ?? '?'} CPU and ${req?.memory ?? '?'} memory — ${events.warning?.message ?? st.message}`);
  deleteJob(pass);
}

/** The events read under `key`, or undefined after asking for them (or while they are read). */
function readEvents(pass: Pass, key: string, pod: string) {
  if (!pass.o.podEvents.has(key)) push(pass, { kind: 'read-pod-events', key, pod });
  return pass.o.podEvents.get(key);
}
