/**
 * What the search-Job supervisor knows, and the only ways it changes: watch events (the Job, its
 * pods, its events), the user (cancel, early stop), and the ends of effects it started (submit,
 * deletes, log and event reads). `reconcile` (kubernetes-reconcile.ts) reads a snapshot of this and
 * returns actions; the driver (kubernetes-supervise.ts) applies them and records here that it did,
 * so the next reconcile does not ask again. Everything here is plain data and synchronous.
 */
import type { Provenance } from '../provenance.ts';
import type { Spec, SpecResult } from './types.ts';
import type { CoreV1Event, V1Job, V1Pod } from '../cluster/vendor.ts';

/** Fixed for one supervision. */
export interface SupervisionConfig {
  /** The Job's name (also the value of its pods' job label). */
  name: string;
  namespace: string;
  /** Retries per index after a counted failure (the Job's backoffLimitPerIndex). */
  retries: number;
  unschedulableGraceMs: number;
  createFailedGraceMs: number;
  /** Follow running pods' logs (someone listens to progress or may stop a spec early). */
  followLogs: boolean;
}

/** opening: watches not open yet; ready: open, nothing applied; submitting: apply under way. */
export type SubmitState = 'opening' | 'ready' | 'submitting' | 'submitted';
/** gone: deleted, or missing from a list taken after our submit. */
export type JobState = 'unseen' | 'present' | 'gone';
export type EffectState = 'none' | 'running' | 'done';

/** A pod's log being read (log undefined) or read, with the pod as it was when its verdict was final. */
export interface LogRead {
  pod: V1Pod;
  log?: string;
  error?: string;
}

/** What the events about one pod said when read. */
export interface PodEvents {
  /** The newest Warning (the scheduler's or kubelet's reason). */
  warning?: CoreV1Event;
  /** The cluster autoscaler is adding a node for it. */
  scaleUp: boolean;
}

/** Deadlines reconcile keeps between calls (what a controller writes to its status). */
export interface Marks {
  /** Since when every waiting pod is Unschedulable and none of ours holds a node. */
  unschedulableSince?: number;
  createFailed?: CreateFailedMark;
  /** When the Job's Failed condition was first seen. */
  jobFailedAt?: number;
}

/**
 * idle: the refusals in `seen` were judged (progress was made); a refusal not among them arms again.
 * armed: waiting out the grace since `at`. failing: the Job is being deleted, then the rest fail.
 */
export type CreateFailedMark =
  | { state: 'idle'; seen: string[] }
  | { state: 'armed'; at: number; podsSeen: number }
  | { state: 'failing'; message: string };

/** A result as reconcile decides it; the driver adds where it ran. */
export type Settlement = Omit<SpecResult, 'provenance'>;

export type Action =
  | { kind: 'submit' }
  | { kind: 'settle'; index: number; result: Settlement; pod?: V1Pod; fromWorker?: Provenance }
  /** Delete the Job with Background propagation (its pods go too), and its specs ConfigMap. */
  | { kind: 'delete-job' }
  | { kind: 'delete-pod'; index: number; pod: string }
  | { kind: 'read-log'; index: number; pod: V1Pod }
  | { kind: 'read-pod-events'; key: string; pod: string }
  | { kind: 'follow'; index: number; pod: string }
  | { kind: 'started'; index: number; worker: string; at: string }
  | { kind: 'message'; text: string }
  | { kind: 'mark'; marks: Marks }
  | { kind: 'requeue'; afterMs: number };

export interface State {
  config: SupervisionConfig;
  /** Spec i runs as completion index i. */
  specs: readonly Spec[];
  submit: SubmitState;
  /** The Job as last seen. */
  job?: V1Job;
  jobState: JobState;
  /** Live pods of the Job by name; deleted ones move to deletedPods. */
  pods: Map<string, V1Pod>;
  deletedPods: Map<string, V1Pod>;
  /** Events about the Job (FailedCreate), by name, latest version. */
  jobEvents: Map<string, CoreV1Event>;
  cancel: boolean;
  /** Indexes the search asked to stop early. */
  stopAsked: Set<number>;
  settled: Set<number>;
  jobDelete: EffectState;
  podDeletes: Set<string>;
  following: Set<string>;
  started: Set<number>;
  reads: Map<number, LogRead>;
  /** Pod event reads by the key reconcile gave them; undefined while reading. */
  podEvents: Map<string, PodEvents | undefined>;
  marks: Marks;
}

/** A snapshot for reconcile. It must not be changed. */
export type Observed = Readonly<State> & { readonly now: number };

export function newState(specs: readonly Spec[], config: SupervisionConfig): State {
  return {
    config, specs, submit: 'opening', jobState: 'unseen',
    pods: new Map(), deletedPods: new Map(), jobEvents: new Map(),
    cancel: false, stopAsked: new Set(), settled: new Set(),
    jobDelete: 'none', podDeletes: new Set(), following: new Set(), started: new Set(),
    reads: new Map(), podEvents: new Map(), marks: {},
  };
}

export function podChanged(s: State, pod: V1Pod): void {
  const name = pod.metadata?.name;
  if (name) s.pods.set(name, pod);
}

export function podDeleted(s: State, pod: V1Pod): void {
  const name = pod.metadata?.name;
  if (!name) return;
  s.pods.delete(name);
  s.deletedPods.set(name, pod);
}

/** A (re)list, e.g. after 410 Gone: it is the truth, so pods missing from it were deleted meanwhile. */
export function podsListed(s: State, pods: readonly V1Pod[]): void {
  const listed = new Set(pods.map((p) => p.metadata?.name));
  for (const pod of [...s.pods.values()]) if (!listed.has(pod.metadata?.name)) podDeleted(s, pod);
  for (const pod of pods) podChanged(s, pod);
}

export function jobChanged(s: State, job: V1Job): void {
  if (job.metadata?.name !== s.config.name) return;
  s.job = job;
  s.jobState = 'present';
}

export function jobDeleted(s: State, job: V1Job): void {
  if (job.metadata?.name === s.config.name) s.jobState = 'gone';
}

/**
 * A (re)list of Jobs. Missing from it means gone — unless our submit has not gone through yet
 * and the Job was never seen (then it simply does not exist yet).
 */
export function jobsListed(s: State, jobs: readonly V1Job[]): void {
  const job = jobs.find((j) => j.metadata?.name === s.config.name);
  if (job) jobChanged(s, job);
  else if (s.submit === 'submitted' || s.jobState === 'present') s.jobState = 'gone';
}

export function jobEventChanged(s: State, event: CoreV1Event): void {
  s.jobEvents.set(event.metadata?.name ?? `#${s.jobEvents.size}`, event);
}

/** Records that the driver has started (or done, for the synchronous ones) what `action` asks. */
export function asked(s: State, action: Action): void {
  switch (action.kind) {
    case 'submit': s.submit = 'submitting'; break;
    case 'settle': s.settled.add(action.index); break;
    case 'delete-job': s.jobDelete = 'running'; break;
    case 'delete-pod': s.podDeletes.add(action.pod); break;
    case 'read-log': s.reads.set(action.index, { pod: action.pod }); break;
    case 'read-pod-events': s.podEvents.set(action.key, undefined); break;
    case 'follow': s.following.add(action.pod); break;
    case 'started': s.started.add(action.index); break;
    case 'mark': s.marks = action.marks; break;
    case 'message': case 'requeue': break;
  }
}

export function submitted(s: State): void {
  s.submit = 'submitted';
}

export function jobDeleteDone(s: State): void {
  s.jobDelete = 'done';
}

export function logRead(s: State, index: number, outcome: { log: string } | { error: string }): void {
  const read = s.reads.get(index);
  if (read) s.reads.set(index, { ...read, ...('log' in outcome ? { log: outcome.log } : { log: '', error: outcome.error }) });
}

export function podEventsRead(s: State, key: string, events: PodEvents): void {
  s.podEvents.set(key, events);
}
