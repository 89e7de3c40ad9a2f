/** Pods of a Job as the job controller makes them, and the podFailurePolicy rule a failed pod matches. */
import type { FakeObject } from './types.ts';
import { LABELS, defaultPod } from './defaults.ts';
import { randomSuffix } from './api.ts';
import { newMeta } from './store.ts';

export const ANNOTATION_FAILURE_COUNT = 'batch.kubernetes.io/job-index-failure-count';

export function podForJob(job: FakeObject, index: number | undefined, indexFailures: number): FakeObject {
  const template = structuredClone(job.spec.template);
  const jobName = job.metadata.name;
  const prefix = index === undefined ? `${jobName}-` : `${jobName}-${index}-`;
  const labels: Record<string, string> = { ...(template.metadata?.labels ?? {}) };
  const annotations: Record<string, string> = { ...(template.metadata?.annotations ?? {}) };
  const spec = template.spec;
  if (index !== undefined) {
    labels[LABELS.index] = String(index);
    annotations[LABELS.index] = String(index);
    if (job.spec.backoffLimitPerIndex != null) annotations[ANNOTATION_FAILURE_COUNT] = String(indexFailures);
    spec.hostname = `${jobName}-${index}`;
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      c.env ??= [];
      if (!c.env.some((e: any) => e.name === 'JOB_COMPLETION_INDEX')) {
        c.env.push({ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${LABELS.index}']` } } });
      }
    }
  }
  const pod: FakeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: newMeta(`${prefix}${randomSuffix()}`, job.metadata.namespace, {
      generateName: prefix,
      labels,
      annotations,
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: jobName, uid: job.metadata.uid, controller: true, blockOwnerDeletion: true }],
    }),
    spec,
  };
  defaultPod(pod);
  return pod;
}

export interface RuleMatch {
  action: 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';
  index: number;
  /** How the apiserver words the match in the Job's condition message. */
  message: string;
}

/** The first podFailurePolicy rule a failed pod matches (first match wins), if any. */
export function matchRule(job: FakeObject, pod: FakeObject): RuleMatch | undefined {
  const rules: any[] = job.spec.podFailurePolicy?.rules ?? [];
  const ref = `${pod.metadata.namespace}/${pod.metadata.name}`;
  for (const [i, rule] of rules.entries()) {
    const ec = rule.onExitCodes;
    if (ec) {
      for (const s of pod.status?.containerStatuses ?? []) {
        if (ec.containerName && s.name !== ec.containerName) continue;
        const code = s.state?.terminated?.exitCode;
        // Containers that exited 0 never match an exit-code rule.
        if (code === undefined || code === 0) continue;
        const hit = ec.operator === 'In' ? ec.values.includes(code) : !ec.values.includes(code);
        if (hit) return { action: rule.action, index: i, message: `Container ${s.name} for pod ${ref} failed with exit code ${code} matching ${rule.action} rule at index ${i}` };
      }
    }
    for (const pc of rule.onPodConditions ?? []) {
      const cond = (pod.status?.conditions ?? []).find((c: any) => c.type === pc.type);
      if (cond && cond.status === (pc.status ?? 'True')) {
        return { action: rule.action, index: i, message: `Pod ${ref} has condition ${pc.type} matching ${rule.action} rule at index ${i}` };
      }
    }
  }
  return undefined;
}

/** "0-2,4,7-8", the API's compressed form of a set of indexes. */
export function compressIndexes(set: Set<number>): string {
  const xs = [...set].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < xs.length; ) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j] + 1) j++;
    out.push(i === j ? String(xs[i]) : `${xs[i]}-${xs[j]}`);
    i = j + 1;
  }
  return out.join(',');
}
