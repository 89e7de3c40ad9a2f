/**
 * Rules about one spec's pods. A spec is final when its pod succeeded, or failed with no retry
 * left (retries used up, caplab's bad-config exit, an index the Job gave up on, a failed Job), or
 * was OOMKilled while its phase says Succeeded. Then its log is read, and the pod state plus the
 * log's result line become the result: the pod's reason (OOMKilled) beats what the worker printed.
 */
import { podIndex, podTrialState, type PodTrialState } from '../cluster/pod-state.ts';
import type { V1Job, V1Pod } from '../cluster/vendor.ts';
import type { Provenance } from '../provenance.ts';
import { findResultLine } from '../spec/protocol.ts';
import type { Settlement } from './kubernetes-observed.ts';
import {
  EARLY_STOP_REASON, isActive, isOpen, jobFailedCondition, ours, parseIndexes, push, settle, toIso, verdict, type Pass,
} from './kubernetes-reconcile-pass.ts';

type Failed = Extract<PodTrialState, { state: 'failed' }>;

/** Logs read since the last pass become results. */
export function settleReadLogs(pass: Pass): void {
  const { o } = pass;
  for (const [i, read] of o.reads) {
    if (o.settled.has(i) || read.log === undefined) continue;
    if (read.error !== undefined) {
      verdict(pass, i, 'failed', 'crash', `could not read the result of pod ${read.pod.metadata?.name}: ${read.error}`, read.pod);
      continue;
    }
    const { result, fromWorker } = resultFromPod(o.specs[i].id, read.pod, read.log, o.now);
    settle(pass, i, pastDeadline(result, o.job), read.pod, fromWorker);
  }
}

/**
 * When the Job's activeDeadlineSeconds passes, the Job controller marks it (FailureTarget, then
 * Failed, reason DeadlineExceeded) and kills its pods: their exit is the deadline's doing, not a
 * crash of the spec. Seen on the real control plane: without this the spec came back 'crash'.
 */
function pastDeadline(result: Settlement, job: V1Job | undefined): Settlement {
  const c = job?.status?.conditions?.find((x) => (x.type === 'FailureTarget' || x.type === 'Failed') && x.status === 'True' && x.reason === 'DeadlineExceeded');
  if (!c || result.status === 'ok' || result.failure === 'oom') return result;
  return { ...result, status: 'failed', failure: 'timeout', reason: `The Job's deadline passed (activeDeadlineSeconds): ${c.message ?? 'DeadlineExceeded'}` };
}

/** A pod the search asked to stop may vanish before it shows a terminal state. */
export function settleVanishedStops(pass: Pass): void {
  for (const i of pass.o.stopAsked) {
    if (!isOpen(pass, i)) continue;
    const gone = ours(pass.o, pass.o.deletedPods.values()).find((p) => podIndex(p) === i);
    if (gone) verdict(pass, i, 'stopped', 'early-stop', EARLY_STOP_REASON, gone);
  }
}

/** Follows, reports the start of, stops, or reads the log of spec i's pods, as their states say. */
export function judgePods(pass: Pass, i: number): void {
  const { o } = pass;
  const pods = pass.byIndex[i];
  const states = pods.map((p) => podTrialState(p));
  announce(pass, i, pods, states);
  if (o.stopAsked.has(i)) {
    pods.forEach((p, k) => {
      const name = p.metadata!.name!;
      if (isActive(states[k]) && !o.podDeletes.has(name)) push(pass, { kind: 'delete-pod', index: i, pod: name });
    });
  }
  const final = finalPod(pass, i, pods, states);
  if (final) {
    pass.claimed.add(i);
    push(pass, { kind: 'read-log', index: i, pod: final });
  }
}

/** 'started' once (the first pod that ran), and a log follow for each running pod. */
function announce(pass: Pass, i: number, pods: V1Pod[], states: PodTrialState[]): void {
  const { o } = pass;
  let announced = o.started.has(i);
  pods.forEach((pod, k) => {
    const st = states[k];
    const name = pod.metadata!.name!;
    if (st.state === 'running' && o.config.followLogs && !o.following.has(name)) push(pass, { kind: 'follow', index: i, pod: name });
    if (!announced && (st.state === 'running' || st.state === 'succeeded' || st.state === 'failed')) {
      announced = true;
      const at = st.state === 'running' && st.startedAt ? st.startedAt : new Date(o.now).toISOString();
      push(pass, { kind: 'started', index: i, worker: name, at });
    }
  });
}

/** The pod whose state is spec i's verdict, or none while the Job may still retry. */
function finalPod(pass: Pass, i: number, pods: V1Pod[], states: PodTrialState[]): V1Pod | undefined {
  let counted = 0;
  let lastFailed: { pod: V1Pod; st: Failed } | undefined;
  for (let k = 0; k < pods.length; k++) {
    const st = states[k];
    if (st.state === 'succeeded') return pods[k];
    if (st.state !== 'failed') continue;
    // OOMKilled with exit 0 leaves phase Succeeded: the Job counts it done, so there is no retry.
    if (st.failure === 'oom' && pods[k].status?.phase === 'Succeeded') return pods[k];
    // Preemptions and evictions are ignored by the Job's podFailurePolicy: they do not use a retry.
    if (!st.disrupted) counted++;
    lastFailed = { pod: pods[k], st };
  }
  if (!lastFailed) return undefined;
  const job = pass.o.job;
  const noRetry = counted > pass.o.config.retries
    || lastFailed.st.failure === 'bad-config' // the podFailurePolicy's FailIndex on caplab's bad-config exit
    || parseIndexes(job?.status?.failedIndexes).has(i)
    || jobFailedCondition(job) !== undefined;
  return noRetry && !states.some(isActive) ? lastFailed.pod : undefined;
}

/** The result of a spec from its final pod and that pod's log. */
export function resultFromPod(id: string, pod: V1Pod, log: string, now: number): { result: Settlement; fromWorker?: Provenance } {
  const st = podTrialState(pod);
  const line = findResultLine(log, id);
  const term = st.state === 'failed' || st.state === 'succeeded' ? st : undefined;
  const nowIso = new Date(now).toISOString();
  const startedAt = line?.startedAt ?? term?.startedAt ?? toIso(pod.status?.startTime) ?? nowIso;
  const finishedAt = line?.finishedAt ?? term?.finishedAt ?? nowIso;
  const seconds = line?.seconds ?? Math.max(0, (Date.parse(finishedAt) - Date.parse(startedAt)) / 1000);
  const printed = line?.result !== undefined ? { result: line.result } : {};
  let outcome: Pick<Settlement, 'status' | 'failure' | 'reason' | 'result'>;
  if (st.state === 'failed' && st.failure === 'oom') {
    // The kernel's verdict beats whatever the worker managed to print (OOMKilled with exit 0 too).
    outcome = { status: 'failed', failure: 'oom', reason: st.reason, ...printed };
  } else if (line) {
    outcome = { status: line.status, ...(line.failure ? { failure: line.failure } : {}), ...(line.reason ? { reason: line.reason } : {}), ...printed };
  } else if (st.state === 'succeeded') {
    outcome = { status: 'failed', failure: 'crash', reason: 'the pod exited 0 without printing a result line' };
  } else if (st.state === 'failed') {
    outcome = { status: 'failed', failure: st.failure, reason: st.reason };
  } else {
    outcome = { status: 'failed', failure: 'crash', reason: 'the pod ended without a verdict' };
  }
  const result: Settlement = { id, ...outcome, worker: pod.metadata!.name!, startedAt, finishedAt, seconds };
  return line?.provenance ? { result, fromWorker: line.provenance } : { result };
}
