/**
 * The apiserver's defaulting on create (SetDefaults_* plus the registry strategies'
 * PrepareForCreate), for the kinds caplab uses. Objects read back look like a real cluster's.
 */
import { randomUUID } from 'node:crypto';
import type { FakeObject } from './types.ts';

export const LABELS = {
  controllerUid: 'batch.kubernetes.io/controller-uid',
  jobName: 'batch.kubernetes.io/job-name',
  legacyControllerUid: 'controller-uid',
  legacyJobName: 'job-name',
  index: 'batch.kubernetes.io/job-completion-index',
};

function imagePullPolicy(image: string | undefined): string {
  if (!image) return 'IfNotPresent';
  const lastSegment = image.split('/').pop() ?? '';
  if (image.includes('@')) return 'IfNotPresent';
  return !lastSegment.includes(':') || lastSegment.endsWith(':latest') ? 'Always' : 'IfNotPresent';
}

export function defaultPodSpec(spec: any): void {
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.securityContext ??= {};
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
    c.imagePullPolicy ??= imagePullPolicy(c.image);
    c.resources ??= {};
    // Requests default to limits when only limits are given.
    if (c.resources.limits) {
      c.resources.requests = { ...c.resources.limits, ...(c.resources.requests ?? {}) };
    }
    for (const p of c.ports ?? []) p.protocol ??= 'TCP';
  }
}

export function defaultJob(job: FakeObject): void {
  const spec = (job.spec ??= {});
  const template = (spec.template ??= {});
  template.metadata ??= {};
  template.spec ??= {};
  if (template.metadata.labels && Object.keys(job.metadata.labels ?? {}).length === 0) {
    job.metadata.labels = { ...template.metadata.labels };
  }
  if (spec.completions == null && spec.parallelism == null) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.completionMode ??= 'NonIndexed';
  spec.backoffLimit ??= spec.backoffLimitPerIndex != null ? 2147483647 : 6;
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  // The job registry generates a selector on the new uid and stamps the template with it.
  job.metadata.uid ||= randomUUID();
  const uid = job.metadata.uid;
  if (!spec.manualSelector) spec.selector = { matchLabels: { [LABELS.controllerUid]: uid } };
  template.metadata.labels = {
    ...(template.metadata.labels ?? {}),
    [LABELS.controllerUid]: uid,
    [LABELS.jobName]: job.metadata.name,
    [LABELS.legacyControllerUid]: uid,
    [LABELS.legacyJobName]: job.metadata.name,
  };
  defaultPodSpec(template.spec);
  job.status = {};
}

export function defaultPod(pod: FakeObject): void {
  pod.spec ??= {};
  defaultPodSpec(pod.spec);
  pod.spec.serviceAccountName ??= 'default';
  pod.spec.serviceAccount ??= pod.spec.serviceAccountName;
  pod.spec.enableServiceLinks ??= true;
  pod.spec.priority ??= 0;
  pod.spec.preemptionPolicy ??= 'PreemptLowerPriority';
  pod.spec.tolerations ??= [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ];
  const hasRequests = pod.spec.containers?.some((c: any) => Object.keys(c.resources?.requests ?? {}).length > 0);
  const guaranteed = pod.spec.containers?.every((c: any) => c.resources?.limits?.cpu && c.resources?.limits?.memory &&
    c.resources.requests?.cpu === c.resources.limits.cpu && c.resources.requests?.memory === c.resources.limits.memory);
  pod.status = { phase: 'Pending', qosClass: guaranteed ? 'Guaranteed' : hasRequests ? 'Burstable' : 'BestEffort' };
}

let nextIp = 10;

export function defaultService(svc: FakeObject): void {
  const spec = (svc.spec ??= {});
  spec.type ??= 'ClusterIP';
  if (spec.clusterIP !== 'None') {
    spec.clusterIP ??= `10.96.${Math.floor(nextIp / 250)}.${(nextIp++ % 250) + 1}`;
  }
  spec.clusterIPs ??= [spec.clusterIP];
  spec.sessionAffinity ??= 'None';
  spec.ipFamilies ??= ['IPv4'];
  spec.ipFamilyPolicy ??= 'SingleStack';
  spec.internalTrafficPolicy ??= 'Cluster';
  for (const p of spec.ports ?? []) {
    p.protocol ??= 'TCP';
    p.targetPort ??= p.port;
  }
  svc.status = { loadBalancer: {} };
}

/** Bound at once, like a provisioner with Immediate binding (kind's local-path waits for a pod instead). */
export function defaultPvc(pvc: FakeObject): void {
  const spec = (pvc.spec ??= {});
  spec.volumeMode ??= 'Filesystem';
  spec.storageClassName ??= 'standard';
  pvc.metadata.uid ||= randomUUID();
  spec.volumeName ??= `pvc-${pvc.metadata.uid}`;
  pvc.status = { phase: 'Bound', accessModes: spec.accessModes ?? [], capacity: { storage: spec.resources?.requests?.storage ?? '1Gi' } };
}

export function defaultNamespace(ns: FakeObject): void {
  ns.metadata.labels = { ...(ns.metadata.labels ?? {}), 'kubernetes.io/metadata.name': ns.metadata.name };
  ns.spec = { finalizers: ['kubernetes'] };
  ns.status = { phase: 'Active' };
}

export function applyDefaults(resource: string, obj: FakeObject): void {
  switch (resource) {
    case 'jobs': return defaultJob(obj);
    case 'pods': return defaultPod(obj);
    case 'services': return defaultService(obj);
    case 'persistentvolumeclaims': return defaultPvc(obj);
    case 'namespaces': return defaultNamespace(obj);
  }
}
