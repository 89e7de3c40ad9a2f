/**
 * Submitting, reading and cancelling a search Job through the API. Submit is idempotent: a 409
 * means this submission (or another with the same name) exists; equal spec-hash annotations mean
 * it is ours and we attach, different ones are a conflict worth stopping for.
 */
import { CaplabError } from '../errors.ts';
import { ANNOTATION } from './labels.ts';
import { apiStatus } from './api-error.ts';
import { WORKER_CONTAINER } from './objects/pod.ts';
import type { Kube } from './kube.ts';
import type { SearchJobManifests } from './search-job.ts';
import { k8s, type CoreV1Event, type V1Job } from './vendor.ts';

export interface SubmitResult {
  /** True when the Job existed already with the same specs (resubmit): caplab watches it instead. */
  attached: boolean;
  job: V1Job;
}

export async function submitSearchJob(kube: Kube, m: SearchJobManifests): Promise<SubmitResult> {
  const namespace = kube.namespace;
  const configMap = { ...m.configMap, metadata: { ...m.configMap.metadata, namespace } };
  const job = { ...m.job, metadata: { ...m.job.metadata, namespace } };
  try {
    await kube.core.createNamespacedConfigMap({ namespace, body: configMap });
  } catch (e) {
    if (apiStatus(e)?.code !== 409) throw apiFailure(e, 'create', 'configmaps', namespace, m.name);
    const existing = await kube.core.readNamespacedConfigMap({ name: m.name, namespace }).catch(() => null);
    if (existing && existing.metadata?.annotations?.[ANNOTATION.specHash] !== m.specHash) {
      // A leftover from an older run whose Job is gone: replace it, unless its Job still runs.
      const jobThere = await kube.batch.readNamespacedJob({ name: m.name, namespace }).then(() => true, () => false);
      if (jobThere) throw conflict(m, namespace, existing.metadata?.annotations?.[ANNOTATION.specHash]);
      await kube.core.deleteNamespacedConfigMap({ name: m.name, namespace }).catch(() => undefined);
      await kube.core.createNamespacedConfigMap({ namespace, body: configMap }).catch((e2) => {
        throw apiFailure(e2, 'create', 'configmaps', namespace, m.name);
      });
    }
  }
  // A rank group's Service before its pods: rank 0's name must resolve as soon as they run.
  if (m.service) await createService(kube, m);
  let created: V1Job;
  try {
    created = await kube.batch.createNamespacedJob({ namespace, body: job as V1Job });
  } catch (e) {
    if (apiStatus(e)?.code !== 409) throw apiFailure(e, 'create', 'jobs', namespace, m.name);
    const existing = await kube.batch.readNamespacedJob({ name: m.name, namespace }).catch((e2) => {
      throw apiFailure(e2, 'get', 'jobs', namespace, m.name);
    });
    const theirs = existing.metadata?.annotations?.[ANNOTATION.specHash];
    if (theirs !== m.specHash) throw conflict(m, namespace, theirs);
    return { attached: true, job: existing };
  }
  // Not awaited: the pods need not wait for the ownership bookkeeping.
  void adoptConfigMap(kube, m.name, created).catch(() => undefined);
  if (m.service) void adoptService(kube, m.name, created).catch(() => undefined);
  return { attached: false, job: created };
}

/** Creates a rank group's headless Service; one of the same name and selector already there is fine (a resubmit). */
async function createService(kube: Kube, m: SearchJobManifests): Promise<void> {
  const namespace = kube.namespace;
  const body = { ...m.service!, metadata: { ...m.service!.metadata, namespace } };
  try {
    await kube.core.createNamespacedService({ namespace, body: body as never });
  } catch (e) {
    if (apiStatus(e)?.code !== 409) throw apiFailure(e, 'create', 'services', namespace, m.name);
    const existing = await kube.core.readNamespacedService({ name: m.name, namespace }).catch((e2) => {
      throw apiFailure(e2, 'get', 'services', namespace, m.name);
    });
    if (JSON.stringify(existing.spec?.selector ?? {}) !== JSON.stringify(m.service!.spec.selector)) {
      throw new CaplabError('job-conflict', `Service ${m.name} already exists in namespace ${namespace} and selects other pods.`, {
        hint: `Delete it first: kubectl delete service ${m.name} -n ${namespace}`,
      });
    }
  }
}

/** Makes the Job own its Service, so its TTL (or a delete with propagation) removes the Service too. */
async function adoptService(kube: Kube, name: string, job: V1Job): Promise<void> {
  const uid = job.metadata?.uid;
  if (!uid) return;
  const m = await k8s();
  await kube.core.patchNamespacedService(
    { name, namespace: kube.namespace, body: { metadata: { ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name, uid, blockOwnerDeletion: false }] } } },
    m.setHeaderOptions('Content-Type', m.PatchStrategy.MergePatch),
  );
}

/** Makes the Job own its ConfigMap, so deleting the Job (or its TTL) removes the specs too. */
async function adoptConfigMap(kube: Kube, name: string, job: V1Job): Promise<void> {
  const uid = job.metadata?.uid;
  if (!uid) return;
  const m = await k8s();
  await kube.core.patchNamespacedConfigMap(
    { name, namespace: kube.namespace, body: { metadata: { ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name, uid, blockOwnerDeletion: false }] } } },
    m.setHeaderOptions('Content-Type', m.PatchStrategy.MergePatch),
  );
}

function conflict(m: SearchJobManifests, namespace: string, theirs: string | undefined): CaplabError {
  return new CaplabError(
    'job-conflict',
    `Job ${m.name} already exists in namespace ${namespace} with different specs (spec-hash ${short(theirs)}, this run ${short(m.specHash)}): same experiment and trial ids, other payloads, image or resources.`,
    { hint: `Use another experiment name, or delete the old one first: kubectl delete job ${m.name} -n ${namespace} --cascade=background` },
  );
}

function short(h: string | undefined): string {
  return h ? h.slice(0, 12) : 'none';
}

/** An API error as a CaplabError that says what was refused and what to do. */
export function apiFailure(e: unknown, verb: string, resource: string, namespace: string, name?: string): Error {
  const st = apiStatus(e);
  if (!st) return new CaplabError('cluster-unreachable', `Could not ${verb} ${resource} in ${namespace}: ${(e as Error)?.message ?? e}`, { hint: 'Run `caplab cluster check` to see whether the cluster answers.', cause: e });
  if (st.code === 403) {
    return new CaplabError('forbidden', `Kubernetes refused to let you ${verb} ${resource} in namespace ${namespace} (403 Forbidden: ${st.message}).`, {
      hint: `Apply caplab's RBAC (\`kubectl apply -k k8s/\`, with an admin context) and bind the caplab-user Role to yourself: kubectl create rolebinding caplab-me --role=caplab-user --user=YOU -n ${namespace}. \`caplab cluster check\` lists every permission caplab needs.`,
      cause: e,
    });
  }
  if (st.code === 404 && resource !== 'namespaces') {
    return new CaplabError('not-found', `Could not ${verb} ${resource}${name ? ` ${name}` : ''} in ${namespace}: ${st.message}.`, {
      hint: `If the namespace is missing, set it up: \`kubectl apply -k k8s/\` (or pass --namespace).`,
      cause: e,
    });
  }
  if (st.code === 422) {
    return new CaplabError('invalid-manifest', `The API server rejected the ${resource} ${name ?? ''} as invalid: ${st.message}.`, {
      hint: 'The cluster may be older than Kubernetes 1.31 (Indexed Jobs with podFailurePolicy and backoffLimitPerIndex need it).',
      cause: e,
    });
  }
  return new CaplabError('api-error', `Could not ${verb} ${resource}${name ? ` ${name}` : ''} in ${namespace}: ${st.code} ${st.reason ?? ''} ${st.message}`, { cause: e });
}

/** Deletes the Job and (through Background propagation) its pods, and the specs ConfigMap. 404 is fine. */
export async function cancelSearchJob(kube: Kube, name: string, o: { service?: boolean } = {}): Promise<void> {
  const namespace = kube.namespace;
  await kube.batch
    .deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background', body: { propagationPolicy: 'Background' } })
    .catch((e) => {
      if (apiStatus(e)?.code !== 404) throw apiFailure(e, 'delete', 'jobs', namespace, name);
    });
  await kube.core.deleteNamespacedConfigMap({ name, namespace }).catch(() => undefined);
  if (o.service) await kube.core.deleteNamespacedService({ name, namespace, propagationPolicy: 'Background' }).catch(() => undefined);
}

/** The tail of a pod's worker log (the result is its last JSON line). */
export async function readPodLog(kube: Kube, pod: string, tailLines = 400): Promise<string> {
  const log = await kube.core.readNamespacedPodLog({ name: pod, namespace: kube.namespace, container: WORKER_CONTAINER, tailLines });
  return typeof log === 'string' ? log : String(log ?? '');
}

/** The newest Warning event message about a pod (scheduler and kubelet say why it cannot start). */
export async function latestPodWarning(kube: Kube, pod: string): Promise<CoreV1Event | undefined> {
  try {
    const list = await kube.core.listNamespacedEvent({ namespace: kube.namespace, fieldSelector: `involvedObject.name=${pod}` });
    const warnings = list.items.filter((e) => e.type === 'Warning' && (!e.involvedObject?.name || e.involvedObject.name === pod));
    const when = (e: CoreV1Event) => new Date((e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? 0) as string | Date).getTime();
    return warnings.sort((a, b) => when(a) - when(b)).at(-1);
  } catch {
    return undefined;
  }
}

/** Scale-up in progress (cluster autoscaler) means Unschedulable may resolve: worth waiting. */
export async function scaleUpTriggered(kube: Kube, pod: string): Promise<boolean> {
  try {
    const list = await kube.core.listNamespacedEvent({ namespace: kube.namespace, fieldSelector: `involvedObject.name=${pod}` });
    return list.items.some((e) => e.reason === 'TriggeredScaleUp');
  } catch {
    return false;
  }
}
