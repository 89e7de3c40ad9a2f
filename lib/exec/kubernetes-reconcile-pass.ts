/**
 * One reconcile pass: the snapshot, the actions decided so far, and the helpers every rule uses
 * (which indexes are still open, a spec's pods, settling). Rules push actions here; nothing in
 * this file does I/O or reads a clock.
 */
import type { Provenance } from '../provenance.ts';
import type { FailureCode, SpecResult } from './types.ts';
import { LABEL } from '../cluster/labels.ts';
import { podIndex, type PodTrialState } from '../cluster/pod-state.ts';
import type { V1Job, V1Pod } from '../cluster/vendor.ts';
import type { Action, Marks, Observed, Settlement } from './kubernetes-observed.ts';

export const EARLY_STOP_REASON = 'stopped early: its pod was deleted on the search\'s request';

export interface Pass {
  readonly o: Observed;
  readonly actions: Action[];
  /** Indexes judged in this pass (settled or given to a log read): no later rule touches them. */
  readonly claimed: Set<number>;
  /** A copy the rules update; emitted as one 'mark' action when it changed. */
  marks: Marks;
  /** Live pods of the Job by index, oldest first. */
  readonly byIndex: V1Pod[][];
  requeueMs?: number;
}

export function newPass(o: Observed): Pass {
  const byIndex: V1Pod[][] = o.specs.map(() => []);
  for (const pod of ours(o, o.pods.values())) byIndex[podIndex(pod)].push(pod);
  for (const pods of byIndex) pods.sort((a, b) => toMs(a.metadata?.creationTimestamp) - toMs(b.metadata?.creationTimestamp));
  return { o, actions: [], claimed: new Set(), marks: { ...o.marks }, byIndex };
}

/** Pods of this Job with an index that names one of our specs (others are not ours to judge). */
export function ours(o: Observed, pods: Iterable<V1Pod>): V1Pod[] {
  return [...pods].filter((p) => p.metadata?.labels?.[LABEL.job] === o.config.name && podIndex(p) >= 0 && podIndex(p) < o.specs.length);
}

/** Not settled, no log read under way, not judged in this pass. */
export function isOpen(pass: Pass, i: number): boolean {
  return !pass.o.settled.has(i) && !pass.o.reads.has(i) && !pass.claimed.has(i);
}

export function openIndexes(pass: Pass): number[] {
  return pass.o.specs.map((_, i) => i).filter((i) => isOpen(pass, i));
}

export function push(pass: Pass, action: Action): void {
  pass.actions.push(action);
}

export function requeue(pass: Pass, afterMs: number): void {
  pass.requeueMs = Math.min(pass.requeueMs ?? Infinity, Math.max(0, afterMs));
}

/** Deleting the Job was asked before or in this pass. */
export function deletingJob(pass: Pass): boolean {
  return pass.o.jobDelete !== 'none' || pass.actions.some((a) => a.kind === 'delete-job');
}

export function deleteJob(pass: Pass): void {
  if (!deletingJob(pass)) push(pass, { kind: 'delete-job' });
}

/** Settles spec `i`. A spec the search asked to stop that did not end ok counts as stopped early. */
export function settle(pass: Pass, i: number, result: Settlement, pod?: V1Pod, fromWorker?: Provenance): void {
  pass.claimed.add(i);
  const stopped = pass.o.stopAsked.has(i) && result.status !== 'ok';
  const final: Settlement = stopped ? { ...result, status: 'stopped', failure: 'early-stop', reason: EARLY_STOP_REASON } : result;
  push(pass, { kind: 'settle', index: i, result: final, ...(pod ? { pod } : {}), ...(fromWorker ? { fromWorker } : {}) });
}

/** A result with no pod verdict behind it (failed fast, cancelled, Job gone). */
export function verdict(pass: Pass, i: number, status: SpecResult['status'], failure: FailureCode, reason: string, pod?: V1Pod): void {
  const now = new Date(pass.o.now).toISOString();
  const started = toIso(pod?.status?.startTime) ?? now;
  settle(pass, i, {
    id: pass.o.specs[i].id, status, failure, reason,
    worker: pod?.metadata?.name ?? pass.o.config.name,
    startedAt: started, finishedAt: now,
    seconds: Math.max(0, (Date.parse(now) - Date.parse(started)) / 1000),
  }, pod);
}

/** Every open spec gets the same verdict (the Job cannot go on). */
export function settleRest(pass: Pass, status: SpecResult['status'], failure: FailureCode, reason: string): void {
  for (const i of openIndexes(pass)) verdict(pass, i, status, failure, reason, pass.byIndex[i].at(-1));
}

export function isActive(st: PodTrialState): boolean {
  return st.state === 'pending' || st.state === 'running' || st.state === 'stuck';
}

export function jobFailedCondition(job: V1Job | undefined): { reason: string; message: string } | undefined {
  const c = job?.status?.conditions?.find((x) => x.type === 'Failed' && x.status === 'True');
  return c ? { reason: c.reason ?? 'Failed', message: c.message ?? '' } : undefined;
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

export function toMs(t: unknown): number {
  return t ? new Date(t as string).getTime() : 0;
}

export function toIso(t: unknown): string | undefined {
  if (!t) return undefined;
  return t instanceof Date ? t.toISOString() : String(t);
}
