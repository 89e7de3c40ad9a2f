/**
 * Watching one search Job until every spec has a result. Pod states come from reasons
 * (lib/cluster/pod-state.ts); a spec is final when its pod succeeded, or failed with no retry
 * left, or the Job gave up on its index. Pods that cannot start fail the remaining specs fast
 * (with the scheduler's or kubelet's message) and the Job is deleted, rather than waiting forever;
 * so do pods the API server refuses to create (FailedCreate events on the Job: a missing
 * ServiceAccount, a quota, Pod Security), which leave the Job with no pods at all.
 */
import type { Provenance } from '../provenance.ts';
import { localProvenance } from '../provenance.ts';
import type { ExecHooks, Spec, SpecResult } from './types.ts';
import { findResultLine, lineSplitter, parseWorkerLine } from './worker-protocol.ts';
import { deletePod, followPodLog, type FollowedLog } from '../cluster/follow.ts';
import { LABEL } from '../cluster/labels.ts';
import { podIndex, podTrialState, type PodTrialState } from '../cluster/pod-state.ts';
import { apiFailure, cancelSearchJob, latestPodWarning, readPodLog, scaleUpTriggered } from '../cluster/jobs.ts';
import { createFailureReason, isCreateFailure, jobEventsSelector } from '../cluster/create-failure.ts';
import { watchObjects, type RunningWatch, type WatchOptions } from '../cluster/watch.ts';
import { WORKER_CONTAINER } from '../cluster/objects/pod.ts';
import type { Kube } from '../cluster/kube.ts';
import type { SearchJobManifests } from '../cluster/search-job.ts';
import type { CoreV1Event, V1Job, V1Pod } from '../cluster/vendor.ts';
import type { ProgressHook } from '../progress.ts';

export type TraceEvent =
  | { kind: 'submit'; at: number }
  | { kind: 'pod-running'; id: string; at: number }
  | { kind: 'pod-done'; id: string; at: number }
  | { kind: 'result'; id: string; at: number };

export interface SuperviseArgs {
  kube: Kube;
  /** Applies the manifests; called once the watches are open, so no pod event is missed. */
  submit: () => Promise<unknown>;
  manifests: SearchJobManifests;
  specs: Spec[];
  hooks: ExecHooks;
  serverVersion?: string;
  options: {
    retries?: number;
    unschedulableGraceMs: number;
    createFailedGraceMs: number;
    watch?: WatchOptions;
    onProgress?: ProgressHook;
    onTrace?: (e: TraceEvent) => void;
  };
}

interface Slot {
  spec: Spec;
  pods: Map<string, V1Pod>;
  started: boolean;
  finalizing: boolean;
  /** Early stop asked for (its pod is being deleted). */
  stopRequested: boolean;
  follows: Map<string, Promise<FollowedLog>>;
  result?: SpecResult;
}

export function superviseSearchJob(args: SuperviseArgs): Promise<SpecResult[]> {
  const { kube, manifests, specs, hooks, options } = args;
  const name = manifests.name;
  const slots: Slot[] = specs.map((spec) => ({ spec, pods: new Map(), started: false, finalizing: false, stopRequested: false, follows: new Map() }));
  const retries = options.retries ?? 0;
  const trace = options.onTrace;
  let settle!: (r: SpecResult[]) => void;
  let fail!: (e: unknown) => void;
  const done = new Promise<SpecResult[]>((res, rej) => ((settle = res), (fail = rej)));
  let finished = false;
  let deleting = false;
  let cancelling = false;
  // Pods seen before our submit went through may belong to another submission with the same
  // name: judge nothing until submit has compared the spec hash.
  let submitted = false;
  let jobFailed: { reason: string; message: string } | undefined;
  let failedIndexes = new Set<number>();
  let unschedulableTimer: NodeJS.Timeout | undefined;
  let jobUid: string | undefined;
  const createFailures = new Map<string, CoreV1Event>();
  let createFailedTimer: NodeJS.Timeout | undefined;
  let podsSeen = 0;
  const inflight = new Set<Promise<void>>();
  const watches: Array<RunningWatch<V1Pod> | RunningWatch<V1Job> | RunningWatch<CoreV1Event>> = [];

  const finishAll = async () => {
    if (finished) return;
    finished = true;
    if (unschedulableTimer) clearTimeout(unschedulableTimer);
    if (createFailedTimer) clearTimeout(createFailedTimer);
    hooks.signal?.removeEventListener('abort', onAbort);
    await Promise.all(watches.map((w) => w.stop().catch(() => undefined)));
    slots.forEach(stopFollowing);
    settle(slots.map((s) => s.result!));
  };

  const stopFollowing = (slot: Slot) => {
    for (const f of slot.follows.values()) void f.then((x) => x.stop());
  };

  /** Live progress lines of a running pod: progress events, and the chance to stop it early. */
  const follow = (slot: Slot, pod: V1Pod) => {
    const podName = pod.metadata!.name!;
    if (slot.follows.has(podName) || !(hooks.onSpecProgress || hooks.onEvent)) return;
    const lines = lineSplitter((line) => {
      const parsed = parseWorkerLine(line);
      if (!parsed || parsed.caplab !== 'progress' || parsed.id !== slot.spec.id || slot.result) return;
      hooks.onEvent?.({ kind: 'progress', id: slot.spec.id, worker: podName, data: parsed.data });
      if (hooks.onSpecProgress?.(slot.spec.id, parsed.data) === 'stop' && !slot.stopRequested) {
        slot.stopRequested = true;
        // The worker gets SIGTERM, prints a 'stopped' result and exits.
        void deletePod(kube, podName).catch((e) => options.onProgress?.({ kind: 'message', text: `Could not stop pod ${podName}: ${(e as Error).message}` }));
      }
    });
    slot.follows.set(podName, followPodLog(kube, podName, (t) => lines.push(t)));
  };

  const setResult = (slot: Slot, result: SpecResult) => {
    if (slot.result || finished) return;
    stopFollowing(slot);
    if (slot.stopRequested && result.status !== 'ok') {
      result = { ...result, status: 'stopped', failure: 'early-stop', reason: 'stopped early: its pod was deleted on the search\'s request' };
    }
    slot.result = result;
    trace?.({ kind: 'result', id: slot.spec.id, at: performance.now() });
    hooks.onEvent?.({ kind: 'finished', result });
    if (slots.every((s) => s.result)) void finishAll();
  };

  const provenanceFor = (pod: V1Pod | undefined, fromWorker?: Provenance): Provenance => {
    const base = fromWorker ?? localProvenance('kubernetes');
    const limits = pod?.spec?.containers?.find((c) => c.name === WORKER_CONTAINER)?.resources?.limits;
    const node = pod?.spec?.nodeName;
    return {
      ...base,
      executor: 'kubernetes',
      host: node ?? base.host,
      cluster: {
        context: kube.context,
        ...(args.serverVersion ? { serverVersion: args.serverVersion } : {}),
        ...(pod?.metadata?.name ? { pod: pod.metadata.name } : {}),
        ...(node ? { node } : {}),
        ...(limits?.cpu ? { cpu: String(limits.cpu) } : {}),
        ...(limits?.memory ? { memory: String(limits.memory) } : {}),
      },
    };
  };

  /** A result with no pod verdict (failed fast, cancelled, Job gone). */
  const verdict = (slot: Slot, status: SpecResult['status'], failure: string, reason: string, pod?: V1Pod) => {
    const now = new Date().toISOString();
    const started = toIso(pod?.status?.startTime) ?? now;
    setResult(slot, {
      id: slot.spec.id, status, failure, reason,
      worker: pod?.metadata?.name ?? name,
      startedAt: started, finishedAt: now,
      seconds: Math.max(0, (Date.parse(now) - Date.parse(started)) / 1000),
      provenance: provenanceFor(pod),
    });
  };

  /** Reads the pod's log and turns pod state + result line into the spec's result. */
  const finalizeFromPod = (slot: Slot, pod: V1Pod, st: PodTrialState) => {
    if (slot.result || slot.finalizing) return;
    slot.finalizing = true;
    trace?.({ kind: 'pod-done', id: slot.spec.id, at: performance.now() });
    const job = (async () => {
      const log = await readLogWithRetry(kube, pod.metadata!.name!);
      const line = findResultLine(log, slot.spec.id);
      const term = st.state === 'failed' || st.state === 'succeeded' ? st : undefined;
      const startedAt = line?.startedAt ?? term?.startedAt ?? toIso(pod.status?.startTime) ?? new Date().toISOString();
      const finishedAt = line?.finishedAt ?? term?.finishedAt ?? new Date().toISOString();
      const seconds = line?.seconds ?? Math.max(0, (Date.parse(finishedAt) - Date.parse(startedAt)) / 1000);
      let outcome: Pick<SpecResult, 'status' | 'failure' | 'reason' | 'result'>;
      if (st.state === 'failed' && st.failure === 'oom') {
        // The kernel's verdict beats whatever the worker managed to print (OOMKilled with exit 0 too).
        outcome = { status: 'failed', failure: 'oom', reason: st.reason, ...(line?.result !== undefined ? { result: line.result } : {}) };
      } else if (line) {
        outcome = { status: line.status, ...(line.failure ? { failure: line.failure } : {}), ...(line.reason ? { reason: line.reason } : {}), ...(line.result !== undefined ? { result: line.result } : {}) };
      } else if (st.state === 'succeeded') {
        outcome = { status: 'failed', failure: 'crash', reason: 'the pod exited 0 without printing a result line' };
      } else if (st.state === 'failed') {
        outcome = { status: 'failed', failure: st.failure, reason: st.reason };
      } else {
        outcome = { status: 'failed', failure: 'crash', reason: 'the pod ended without a verdict' };
      }
      setResult(slot, { id: slot.spec.id, ...outcome, worker: pod.metadata!.name!, startedAt, finishedAt, seconds, provenance: provenanceFor(pod, line?.provenance) });
    })().catch((e) => {
      slot.finalizing = false;
      verdict(slot, 'failed', 'crash', `could not read the result of pod ${pod.metadata?.name}: ${(e as Error).message}`, pod);
    });
    inflight.add(job);
    void job.finally(() => inflight.delete(job));
  };

  const evaluate = (slot: Slot, index: number) => {
    if (slot.result || slot.finalizing || finished || cancelling || !submitted) return;
    const pods = [...slot.pods.values()].sort((a, b) => toMs(a.metadata?.creationTimestamp) - toMs(b.metadata?.creationTimestamp));
    let counted = 0;
    let lastFailed: { pod: V1Pod; st: PodTrialState } | undefined;
    for (const pod of pods) {
      const st = podTrialState(pod);
      if (st.state === 'running') follow(slot, pod);
      if ((st.state === 'running' || st.state === 'succeeded' || st.state === 'failed') && !slot.started) {
        slot.started = true;
        trace?.({ kind: 'pod-running', id: slot.spec.id, at: performance.now() });
        hooks.onEvent?.({ kind: 'started', id: slot.spec.id, worker: pod.metadata?.name ?? name, at: st.state === 'running' && st.startedAt ? st.startedAt : new Date().toISOString() });
      }
      if (st.state === 'succeeded') return finalizeFromPod(slot, pod, st);
      if (st.state === 'failed') {
        if (st.failure === 'oom' && pod.status?.phase === 'Succeeded') return finalizeFromPod(slot, pod, st);
        if (!st.disrupted) counted++;
        lastFailed = { pod, st };
      }
    }
    if (!lastFailed) return;
    const f = lastFailed.st as Extract<PodTrialState, { state: 'failed' }>;
    const noRetry = counted > retries || f.failure === 'bad-config' || failedIndexes.has(index) || jobFailed !== undefined;
    if (noRetry && !pods.some((p) => isActive(podTrialState(p)))) finalizeFromPod(slot, lastFailed.pod, lastFailed.st);
  };

  const failRemaining = (status: SpecResult['status'], failure: string, reason: string) => {
    for (const s of slots) if (!s.result && !s.finalizing) verdict(s, status, failure, reason, [...s.pods.values()].at(-1));
  };

  const deleteJob = async () => {
    deleting = true;
    await cancelSearchJob(kube, name).catch((e) => options.onProgress?.({ kind: 'message', text: `Could not delete Job ${name}: ${(e as Error).message}` }));
  };

  const checkStuck = async () => {
    if (finished || cancelling || !submitted) return;
    const active = slots.filter((s) => !s.result && !s.finalizing).flatMap((s) => [...s.pods.values()].map((p) => ({ p, st: podTrialState(p) })));
    const fatal = active.find((x) => x.st.state === 'stuck' && x.st.failure !== 'unschedulable');
    if (fatal && fatal.st.state === 'stuck') {
      const event = await latestPodWarning(kube, fatal.p.metadata!.name!);
      const what = fatal.st.failure === 'image-pull' ? `image ${fatal.p.spec?.containers?.[0]?.image} cannot be pulled` : 'the pod cannot start';
      failRemaining('failed', fatal.st.failure, `${fatal.st.reason}: ${what} — ${event?.message ?? fatal.st.message}`);
      await deleteJob();
      return;
    }
    const unschedulable = active.filter((x) => x.st.state === 'stuck' && x.st.failure === 'unschedulable');
    const holdingANode = active.some((x) => x.p.spec?.nodeName && isActive(x.st));
    if (unschedulable.length === 0 || holdingANode) {
      if (unschedulableTimer) clearTimeout(unschedulableTimer);
      unschedulableTimer = undefined;
      return;
    }
    if (unschedulableTimer) return;
    unschedulableTimer = setTimeout(async () => {
      unschedulableTimer = undefined;
      const again = slots.filter((s) => !s.result && !s.finalizing).flatMap((s) => [...s.pods.values()]);
      const stuck = again.filter((p) => { const st = podTrialState(p); return st.state === 'stuck' && st.failure === 'unschedulable'; });
      if (finished || stuck.length === 0 || again.some((p) => p.spec?.nodeName && isActive(podTrialState(p)))) return;
      const pod = stuck[0];
      if (await scaleUpTriggered(kube, pod.metadata!.name!)) {
        options.onProgress?.({ kind: 'message', text: `Pods of ${name} wait for the cluster autoscaler to add a node.` });
        return void setTimeout(() => void checkStuck(), options.unschedulableGraceMs).unref();
      }
      const st = podTrialState(pod) as Extract<PodTrialState, { state: 'stuck' }>;
      const event = await latestPodWarning(kube, pod.metadata!.name!);
      const req = pod.spec?.containers?.[0]?.resources?.requests;
      failRemaining('failed', 'unschedulable', `Unschedulable: no node can take a pod asking for ${req?.cpu ?? '?'} CPU and ${req?.memory ?? '?'} memory — ${event?.message ?? st.message}`);
      await deleteJob();
    }, options.unschedulableGraceMs);
  };

  /**
   * Refused pods: after a grace (a quota race can clear up as other pods finish), fail the rest
   * when the API server still refuses them and nothing of the Job runs or was created since.
   */
  const checkCreateFailed = () => {
    if (finished || cancelling || !submitted || createFailedTimer) return;
    const latest = () => [...createFailures.values()].filter((e) => isCreateFailure(e, name, jobUid)).sort((a, b) => eventMs(a) - eventMs(b)).at(-1);
    if (!latest()) return;
    const podsBefore = podsSeen;
    createFailedTimer = setTimeout(async () => {
      createFailedTimer = undefined;
      if (finished || cancelling || deleting) return;
      const event = latest();
      const anyActive = slots.some((s) => [...s.pods.values()].some((p) => isActive(podTrialState(p))));
      // Progress since the refusal (pods made, or running): wait for the next FailedCreate.
      if (!event || anyActive || podsSeen > podsBefore) return;
      createFailures.clear();
      // Deleted first, so the Job is gone (not retrying forever) by the time the results are in.
      await deleteJob();
      failRemaining('failed', 'create-failed', createFailureReason(name, kube.namespace, event.message ?? 'the API server refused the pods'));
    }, options.createFailedGraceMs);
  };

  const onJobEvent = (event: CoreV1Event) => {
    if (!isCreateFailure(event, name)) return;
    createFailures.set(event.metadata?.name ?? String(createFailures.size), event);
    checkCreateFailed();
  };

  const onPod = (pod: V1Pod) => {
    const i = podIndex(pod);
    const slot = slots[i];
    if (!slot || pod.metadata?.labels?.[LABEL.job] !== name) return;
    if (!slot.pods.has(pod.metadata!.name!)) podsSeen++;
    slot.pods.set(pod.metadata!.name!, pod);
    evaluate(slot, i);
    void checkStuck();
  };

  const onJob = (job: V1Job) => {
    if (job.metadata?.name !== name) return;
    jobUid = job.metadata?.uid ?? jobUid;
    failedIndexes = parseIndexes(job.status?.failedIndexes);
    const failedCond = job.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
    if (failedCond && !jobFailed) {
      jobFailed = { reason: failedCond.reason ?? 'Failed', message: failedCond.message ?? '' };
      // Indexes that never got a pod have nothing to wait for.
      setTimeout(() => {
        for (const s of slots) {
          if (!s.result && !s.finalizing && ![...s.pods.values()].some((p) => isActive(podTrialState(p)))) {
            const failure = jobFailed!.reason === 'DeadlineExceeded' ? 'timeout' : 'crash';
            if (s.pods.size === 0) verdict(s, 'failed', failure, `Job ${name} failed (${jobFailed!.reason}) before this spec ran: ${jobFailed!.message}`);
          }
        }
      }, 500).unref();
    }
    slots.forEach((s, i) => evaluate(s, i));
  };

  const onJobGone = async () => {
    if (deleting || finished || !submitted) return;
    // Finish what the pods already told us, then fail the rest with the reason.
    slots.forEach((s, i) => evaluate(s, i));
    await Promise.all([...inflight]);
    failRemaining(
      'failed',
      'cancelled',
      `Job ${name} was deleted from outside caplab (kubectl delete, or its TTL) before this spec finished; run again (resume) to submit the missing specs.`,
    );
  };

  const onAbort = () => {
    if (finished || cancelling) return;
    cancelling = true;
    void (async () => {
      await deleteJob();
      failRemaining('stopped', 'cancelled', `cancelled: Job ${name} deleted (propagationPolicy Background)`);
    })();
  };

  const onFatal = (e: unknown) => {
    if (finished) return;
    finished = true;
    hooks.signal?.removeEventListener('abort', onAbort);
    void Promise.all(watches.map((w) => w.stop().catch(() => undefined))).then(() =>
      fail(apiFailure(e, 'watch', 'pods or jobs', kube.namespace, name)),
    );
  };

  const onError = (e: unknown, ms: number) =>
    options.onProgress?.({ kind: 'message', text: `Watch on ${name} broke (${(e as Error)?.message ?? e}); restarting in ${ms} ms.` });

  void (async () => {
    const selector = `${LABEL.job}=${name}`;
    try {
      watches.push(
        await watchObjects<V1Job>(kube, 'jobs', selector, {
          onChange: onJob,
          onDelete: (j) => j.metadata?.name === name && void onJobGone(),
          onSynced: (jobs) => {
            if (!jobs.some((j) => j.metadata?.name === name) && !deleting) void onJobGone();
          },
          onError,
          onFatal,
        }, options.watch),
      );
      watches.push(
        await watchObjects<V1Pod>(kube, 'pods', selector, {
          onChange: onPod,
          onDelete: (p) => {
            const slot = slots[podIndex(p)];
            if (!slot || slot.result) return;
            // An early-stopped pod may vanish before showing a terminal state.
            if (slot.stopRequested && !slot.finalizing) return verdict(slot, 'stopped', 'early-stop', 'stopped early: its pod was deleted on the search\'s request', p);
            slot.pods.delete(p.metadata!.name!);
          },
          onError,
          onFatal,
        }, options.watch),
      );
      watches.push(
        await watchObjects<CoreV1Event>(kube, 'events', { field: jobEventsSelector(name) }, {
          onChange: onJobEvent,
          onDelete: () => undefined,
          onError,
          // Events only speed up a verdict: losing their watch must not end the search.
          onFatal: (e) => options.onProgress?.({ kind: 'message', text: `Cannot watch events of ${name} (${(e as Error)?.message ?? e}): pods the API server refuses will not be reported.` }),
        }, options.watch),
      );
    } catch (e) {
      onFatal(e);
      return;
    }
    if (finished) return void (await Promise.all(watches.map((w) => w.stop().catch(() => undefined))));
    try {
      await args.submit();
      submitted = true;
      slots.forEach((s, i) => evaluate(s, i));
      void checkStuck();
      checkCreateFailed();
    } catch (e) {
      finished = true;
      hooks.signal?.removeEventListener('abort', onAbort);
      await Promise.all(watches.map((w) => w.stop().catch(() => undefined)));
      fail(e);
    }
  })();
  if (hooks.signal) {
    if (hooks.signal.aborted) onAbort();
    else hooks.signal.addEventListener('abort', onAbort, { once: true });
  }
  return done;
}

function isActive(st: PodTrialState): boolean {
  return st.state === 'pending' || st.state === 'running' || st.state === 'stuck';
}

/** "1,3-5" → {1,3,4,5}. */
export function parseIndexes(text: string | undefined): Set<number> {
  const out = new Set<number>();
  for (const part of (text ?? '').split(',')) {
    if (!part.trim()) continue;
    const [a, b] = part.split('-').map((x) => Number(x.trim()));
    if (!Number.isInteger(a)) continue;
    for (let i = a; i <= (Number.isInteger(b) ? b : a); i++) out.add(i);
  }
  return out;
}

function eventMs(e: CoreV1Event): number {
  return toMs(e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp);
}

function toMs(t: unknown): number {
  return t ? new Date(t as string).getTime() : 0;
}

function toIso(t: unknown): string | undefined {
  if (!t) return undefined;
  return t instanceof Date ? t.toISOString() : String(t);
}

async function readLogWithRetry(kube: Kube, pod: string): Promise<string> {
  let last: unknown;
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      return await readPodLog(kube, pod);
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
  }
  // A pod already gone (deleted with its Job) has no log: the pod state still tells the outcome.
  void last;
  return '';
}

