/**
 * The job controller: keeps at most `parallelism` pods active, one per pending index for Indexed
 * Jobs; counts terminal pods (podFailurePolicy first, then backoffLimitPerIndex / backoffLimit);
 * and finishes the Job the 1.31+ way: FailureTarget or SuccessCriteriaMet first, active pods
 * stopped, then the terminal Failed or Complete condition.
 */
import type { Ctx } from './context.ts';
import type { FakeObject } from './types.ts';
import type { StoreEvent } from './store.ts';
import { recordEvent } from './events.ts';
import { podIndexOf } from './faults.ts';
import { podForJob, matchRule, compressIndexes } from './job-pods.ts';
import { deleteObject } from './gc.ts';
import { admitPod } from './admission.ts';

interface Track {
  counted: Set<string>;
  /** Pods that left the store before being counted (deleted from outside). */
  vanished: FakeObject[];
  indexFailures: Map<number, number>;
  failedPods: number;
  succeededPods: number;
  completed: Set<number>;
  failedIndexes: Set<number>;
  failure?: { reason: string; message: string };
  timers: NodeJS.Timeout[];
}

const NOW = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const TERMINAL = new Set(['Succeeded', 'Failed']);

function ownerJob(pod: FakeObject): { name: string; uid: string } | undefined {
  const ref = pod.metadata.ownerReferences?.find((r) => r.kind === 'Job' && r.controller);
  return ref && { name: ref.name, uid: ref.uid };
}

function hasCondition(job: FakeObject, type: string): boolean {
  return (job.status?.conditions ?? []).some((c: any) => c.type === type && c.status === 'True');
}

function addCondition(job: FakeObject, type: string, reason: string, message: string): void {
  if (hasCondition(job, type)) return;
  const t = NOW();
  job.status.conditions = [...(job.status.conditions ?? []), { type, status: 'True', lastProbeTime: t, lastTransitionTime: t, reason, message }];
}

export class JobController {
  private readonly ctx: Ctx;
  private readonly tracks = new Map<string, Track>();
  private readonly queued = new Set<string>();

  constructor(ctx: Ctx) {
    this.ctx = ctx;
    ctx.store.onChange((ev) => this.onEvent(ev));
  }

  private onEvent(ev: StoreEvent): void {
    const o = ev.object;
    const ns = o.metadata.namespace!;
    if (ev.resource === 'jobs') {
      if (ev.type === 'DELETED') return this.forget(o.metadata.uid);
      return this.enqueue(ns, o.metadata.name);
    }
    // A ServiceAccount that refused pods may exist now: retry the Jobs of its namespace.
    if (ev.resource === 'serviceaccounts' && ev.type === 'ADDED') {
      for (const j of this.ctx.store.list('jobs', ns)) this.enqueue(ns, j.metadata.name);
      return;
    }
    if (ev.resource !== 'pods') return;
    const owner = ownerJob(ev.type === 'MODIFIED' && !ownerJob(o) && ev.prev ? ev.prev : o);
    if (!owner) return;
    const t = this.tracks.get(owner.uid);
    if (ev.type === 'DELETED' && t && !t.counted.has(o.metadata.uid)) t.vanished.push(o);
    this.enqueue(ns, owner.name);
  }

  private forget(uid: string): void {
    const t = this.tracks.get(uid);
    for (const timer of t?.timers ?? []) clearTimeout(timer);
    this.tracks.delete(uid);
  }

  private enqueue(ns: string, name: string): void {
    const key = `${ns}/${name}`;
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.ctx.later(() => {
      this.queued.delete(key);
      this.sync(ns, name);
    });
  }

  private track(uid: string): Track {
    let t = this.tracks.get(uid);
    if (!t) {
      t = { counted: new Set(), vanished: [], indexFailures: new Map(), failedPods: 0, succeededPods: 0, completed: new Set(), failedIndexes: new Set(), timers: [] };
      this.tracks.set(uid, t);
    }
    return t;
  }

  private account(job: FakeObject, t: Track, pod: FakeObject): void {
    t.counted.add(pod.metadata.uid);
    const index = podIndexOf(pod);
    const indexed = job.spec.completionMode === 'Indexed';
    if (pod.status?.phase === 'Succeeded') {
      t.succeededPods++;
      if (indexed && index !== undefined && !t.failedIndexes.has(index)) t.completed.add(index);
      return;
    }
    const rule = matchRule(job, pod);
    if (rule?.action === 'Ignore') return;
    t.failedPods++;
    if (rule?.action === 'FailJob') t.failure ??= { reason: 'PodFailurePolicy', message: rule.message };
    else if (rule?.action === 'FailIndex' && index !== undefined) t.failedIndexes.add(index);
    else if (job.spec.backoffLimitPerIndex != null && index !== undefined) {
      const n = (t.indexFailures.get(index) ?? 0) + 1;
      t.indexFailures.set(index, n);
      if (n > job.spec.backoffLimitPerIndex) t.failedIndexes.add(index);
    }
  }

  private sync(ns: string, name: string): void {
    if (this.ctx.closed) return;
    const job = this.ctx.store.get('jobs', ns, name);
    if (!job || job.metadata.deletionTimestamp) return;
    const spec = job.spec;
    const t = this.track(job.metadata.uid);
    if (hasCondition(job, 'Complete') || hasCondition(job, 'Failed')) return;
    const indexed = spec.completionMode === 'Indexed';
    const pods = this.ctx.store.list('pods', ns).filter((p) => ownerJob(p)?.uid === job.metadata.uid);
    for (const p of pods) if (TERMINAL.has(p.status?.phase) && !t.counted.has(p.metadata.uid)) this.account(job, t, p);
    for (const p of t.vanished.splice(0)) {
      if (t.counted.has(p.metadata.uid)) continue;
      // A pod deleted before it finished counts as failed, as with the job-tracking finalizer.
      if (!TERMINAL.has(p.status?.phase)) p.status = { ...(p.status ?? {}), phase: 'Failed' };
      this.account(job, t, p);
    }
    const live = pods.filter((p) => !TERMINAL.has(p.status?.phase));
    const active = live.filter((p) => !p.metadata.deletionTimestamp);
    const terminating = live.filter((p) => p.metadata.deletionTimestamp);
    const restarts = pods.reduce((n, p) => n + (p.status?.containerStatuses ?? []).reduce((m: number, s: any) => m + (s.restartCount ?? 0), 0), 0);
    const startTime = job.status?.startTime ?? NOW();
    const completions: number | null = spec.completions ?? null;

    if (!t.failure) {
      const elapsed = (Date.now() - Date.parse(startTime)) / 1000;
      if (spec.backoffLimitPerIndex == null && t.failedPods + restarts > spec.backoffLimit) {
        t.failure = { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
      } else if (spec.maxFailedIndexes != null && t.failedIndexes.size > spec.maxFailedIndexes) {
        t.failure = { reason: 'MaxFailedIndexesExceeded', message: 'Job has exceeded the specified maximal number of failed indexes' };
      } else if (spec.activeDeadlineSeconds != null && job.status?.startTime && elapsed >= spec.activeDeadlineSeconds) {
        t.failure = { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
      } else if (indexed && t.failedIndexes.size > 0 && t.completed.size + t.failedIndexes.size >= completions!) {
        t.failure = { reason: 'FailedIndexes', message: 'Job has failed indexes' };
      }
    }
    const complete = !t.failure && (indexed ? t.completed.size >= completions!
      : completions !== null ? t.succeededPods >= completions : t.succeededPods > 0 && active.length === 0);

    const created: FakeObject[] = [];
    let stopping = active;
    if (!t.failure && !complete && !spec.suspend) {
      stopping = [];
      const slots = spec.parallelism - active.length - (spec.podReplacementPolicy === 'Failed' ? terminating.length : 0);
      if (indexed) {
        const busy = new Set((spec.podReplacementPolicy === 'Failed' ? live : active).map(podIndexOf));
        for (let i = 0; i < completions! && created.length < slots; i++) {
          if (t.completed.has(i) || t.failedIndexes.has(i) || busy.has(i)) continue;
          created.push(podForJob(job, i, t.indexFailures.get(i) ?? 0));
        }
      } else {
        const want = completions === null ? (t.succeededPods > 0 ? 0 : spec.parallelism) : Math.min(spec.parallelism, completions - t.succeededPods);
        for (let k = active.length; k < want; k++) created.push(podForJob(job, undefined, 0));
      }
    }
    // Pods admission refuses are not created (Warning FailedCreate below); the Job waits for a fix.
    const refused: string[] = [];
    for (const [i, p] of [...created.entries()].reverse()) {
      const denied = admitPod(this.ctx, p);
      if (!denied) continue;
      refused.unshift(denied.status.message ?? '');
      created.splice(i, 1);
    }
    for (const p of stopping) {
      t.counted.add(p.metadata.uid);
      this.ctx.deletePod(ns, p.metadata.name);
      recordEvent(this.ctx.store, job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`, { component: 'job-controller' });
    }
    // Counted again after the deletions above: pods without running containers are gone at once.
    const after = this.ctx.store.list('pods', ns).filter((p) => ownerJob(p)?.uid === job.metadata.uid && !TERMINAL.has(p.status?.phase));
    const nTerminating = after.filter((p) => p.metadata.deletionTimestamp).length;
    const running = after.filter((p) => !p.metadata.deletionTimestamp);
    const finishedNow = !!(t.failure || complete) && after.length === 0 && created.length === 0;
    const startedNow = !job.status?.startTime && !spec.suspend;

    const updated = this.ctx.store.mutate('jobs', ns, name, (j) => {
      const s = (j.status ??= {});
      if (startedNow) s.startTime = startTime;
      setCount(s, 'active', running.length + created.length);
      s.ready = running.filter((p) => (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True')).length;
      s.terminating = nTerminating;
      setCount(s, 'succeeded', t.succeededPods);
      setCount(s, 'failed', t.failedPods);
      if (indexed) {
        const done = compressIndexes(t.completed);
        if (done) s.completedIndexes = done;
        else delete s.completedIndexes;
      }
      if (spec.backoffLimitPerIndex != null) s.failedIndexes = compressIndexes(t.failedIndexes);
      s.uncountedTerminatedPods = {};
      suspension(j, !!spec.suspend && !t.failure && !complete);
      if (t.failure) addCondition(j, 'FailureTarget', t.failure.reason, t.failure.message);
      if (complete) addCondition(j, 'SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods');
      if (finishedNow && t.failure) addCondition(j, 'Failed', t.failure.reason, t.failure.message);
      if (finishedNow && complete) {
        addCondition(j, 'Complete', 'CompletionsReached', 'Reached expected number of succeeded pods');
        s.completionTime = NOW();
      }
    });
    if (!updated) return;
    for (const message of refused) {
      recordEvent(this.ctx.store, updated, 'Warning', 'FailedCreate', `Error creating: ${message}`, { component: 'job-controller' });
    }
    for (const p of created) {
      const pod = this.ctx.store.create('pods', p);
      recordEvent(this.ctx.store, updated, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`, { component: 'job-controller' });
    }
    if (startedNow && spec.activeDeadlineSeconds != null) {
      t.timers.push(this.ctx.timer(() => this.enqueue(ns, name), spec.activeDeadlineSeconds * 1000));
    }
    if (finishedNow) this.finished(updated, t, !!t.failure);
  }

  private finished(job: FakeObject, t: Track, failed: boolean): void {
    const ns = job.metadata.namespace!;
    if (failed) recordEvent(this.ctx.store, job, 'Warning', t.failure!.reason, t.failure!.message, { component: 'job-controller' });
    else recordEvent(this.ctx.store, job, 'Normal', 'Completed', 'Job completed', { component: 'job-controller' });
    const ttl = job.spec.ttlSecondsAfterFinished;
    if (ttl != null) {
      t.timers.push(this.ctx.timer(() => deleteObject(this.ctx, 'jobs', ns, job.metadata.name, 'Background'), ttl * 1000));
    }
  }
}

/** Suspended True while spec.suspend holds the Job (startTime cleared), False once resumed. */
function suspension(job: FakeObject, suspended: boolean): void {
  const conds: any[] = job.status.conditions ?? [];
  const cur = conds.find((c) => c.type === 'Suspended');
  if (suspended) {
    delete job.status.startTime;
    if (cur?.status === 'True') return;
    const t = NOW();
    job.status.conditions = [...conds.filter((c) => c !== cur), { type: 'Suspended', status: 'True', lastProbeTime: t, lastTransitionTime: t, reason: 'JobSuspended', message: 'Job suspended' }];
  } else if (cur?.status === 'True') {
    const t = NOW();
    job.status.conditions = conds.map((c) => (c === cur ? { ...c, status: 'False', lastProbeTime: t, lastTransitionTime: t, reason: 'JobResumed', message: 'Job resumed' } : c));
  }
}

/** active/succeeded/failed are omitempty on the wire: absent when zero. */
function setCount(s: any, field: string, n: number): void {
  if (n > 0) s[field] = n;
  else delete s[field];
}
