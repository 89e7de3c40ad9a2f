/** The REST verbs on stored kinds: what an apiserver's generic registry does for each. */
import { randomBytes } from 'node:crypto';
import type { Ctx, PropagationPolicy } from './context.ts';
import type { FakeObject } from './types.ts';
import type { ResourceInfo } from './resources.ts';
import { apiVersionOf } from './resources.ts';
import { alreadyExists, badRequest, conflict, deleted, failure, invalid, notFound, StatusError } from './status.ts';
import type { StatusBody } from './status.ts';
import { applyDefaults } from './defaults.ts';
import { validate, validateJobUpdate } from './validate.ts';
import { applyPatch } from './patch.ts';
import { parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { deleteObject } from './gc.ts';
import { admitPod } from './admission.ts';

/** Kinds whose status is a subresource: writes to the main resource keep the stored status. */
const STATUS_SUBRESOURCE = new Set(['jobs', 'pods', 'services', 'persistentvolumeclaims', 'namespaces', 'nodes']);
const ALNUM = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(n = 5): string {
  const bytes = randomBytes(n);
  return Array.from(bytes, (b) => ALNUM[b % ALNUM.length]).join('');
}

export interface Target {
  r: ResourceInfo;
  namespace?: string;
  name?: string;
  subresource?: string;
}

function withType(r: ResourceInfo, o: FakeObject): FakeObject {
  return { ...o, apiVersion: apiVersionOf(r), kind: r.kind, metadata: o.metadata };
}

function requireNamespace(ctx: Ctx, t: Target): void {
  if (t.r.namespaced && t.namespace && !ctx.store.has('namespaces', undefined, t.namespace)) {
    throw new StatusError(failure(404, 'NotFound', `namespaces "${t.namespace}" not found`, { name: t.namespace, kind: 'namespaces' }));
  }
}

function getOr404(ctx: Ctx, t: Target): FakeObject {
  const o = ctx.store.get(t.r.plural, t.namespace, t.name!);
  if (!o) throw notFound(t.r, t.name!);
  return o;
}

export function list(ctx: Ctx, t: Target, q: URLSearchParams): unknown {
  const labels = parseLabelSelector(q.get('labelSelector'));
  const fields = parseFieldSelector(q.get('fieldSelector'));
  const items = ctx.store.list(t.r.plural, t.namespace)
    .filter((o) => labels(o) && fields(o))
    .sort((a, b) => `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name}`))
    // Items of a typed list carry no kind/apiVersion on the wire.
    .map(({ kind: _k, apiVersion: _a, ...rest }) => rest);
  return { kind: `${t.r.kind}List`, apiVersion: apiVersionOf(t.r), metadata: { resourceVersion: ctx.store.currentRv() }, items };
}

export function get(ctx: Ctx, t: Target): FakeObject {
  const o = getOr404(ctx, t);
  if (t.subresource === 'status') return withType(t.r, o);
  return withType(t.r, o);
}

export function create(ctx: Ctx, t: Target, body: any, q: URLSearchParams): FakeObject {
  requireNamespace(ctx, t);
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('the body of the request was in an unknown format');
  const meta = { ...(body.metadata ?? {}) };
  if (t.r.namespaced) {
    if (meta.namespace && meta.namespace !== t.namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    meta.namespace = t.namespace;
  }
  if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomSuffix()}`;
  for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'deletionTimestamp', 'deletionGracePeriodSeconds']) delete meta[k];
  const obj: FakeObject = { ...body, apiVersion: apiVersionOf(t.r), kind: t.r.kind, metadata: meta };
  if (t.r.plural === 'secrets' && obj.stringData) {
    obj.data = { ...(obj.data ?? {}) };
    for (const [k, v] of Object.entries(obj.stringData)) obj.data[k] = Buffer.from(String(v)).toString('base64');
    delete obj.stringData;
  }
  if (t.r.plural === 'jobs' && obj.spec?.selector && !obj.spec?.manualSelector) {
    // Typical when a Job read back from the server is submitted again.
    throw invalid('Job', 'batch', meta.name ?? '', [{ field: 'spec.selector', type: 'FieldValueInvalid', detail: `Invalid value: ${JSON.stringify(obj.spec.selector)}: \`selector\` not auto-generated` }]);
  }
  applyDefaults(t.r.plural, obj);
  validate(t.r, obj);
  if (ctx.store.has(t.r.plural, t.namespace, meta.name)) throw alreadyExists(t.r, meta.name);
  if (t.r.plural === 'pods') {
    const refused = admitPod(ctx, obj);
    if (refused) throw refused;
  }
  if (q.get('dryRun') === 'All') return withType(t.r, obj);
  return withType(t.r, ctx.store.create(t.r.plural, obj));
}

function replace(ctx: Ctx, t: Target, next: FakeObject, prev: FakeObject): FakeObject {
  if (next.metadata?.name !== undefined && next.metadata.name !== t.name) {
    throw badRequest(`the name of the object (${next.metadata.name}) does not match the name on the URL (${t.name})`);
  }
  if (next.metadata?.resourceVersion && next.metadata.resourceVersion !== prev.metadata.resourceVersion) throw conflict(t.r, t.name!);
  const merged: FakeObject = { ...next, apiVersion: prev.apiVersion ?? apiVersionOf(t.r), kind: t.r.kind, metadata: { ...prev.metadata, ...next.metadata, name: t.name!, namespace: prev.metadata.namespace } };
  if (t.subresource === 'status') {
    // Writes to /status change only status.
    return ctx.store.update(t.r.plural, { ...prev, status: merged.status, metadata: prev.metadata });
  }
  if (STATUS_SUBRESOURCE.has(t.r.plural)) merged.status = prev.status;
  if (t.r.plural === 'jobs') validateJobUpdate(prev, merged);
  if (t.r.plural === 'pods') validatePodUpdate(prev, merged);
  validate(t.r, merged);
  return ctx.store.update(t.r.plural, merged);
}

function validatePodUpdate(prev: FakeObject, next: FakeObject): void {
  const strip = (spec: any) => ({ ...spec, containers: spec?.containers?.map((c: any) => ({ ...c, image: '' })), activeDeadlineSeconds: 0, tolerations: [] });
  if (JSON.stringify(strip(prev.spec)) !== JSON.stringify(strip(next.spec))) {
    throw invalid('Pod', '', next.metadata.name, [{ field: 'spec', type: 'FieldValueForbidden', detail: 'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)' }]);
  }
}

export function update(ctx: Ctx, t: Target, body: any): FakeObject {
  const prev = getOr404(ctx, t);
  if (!body || typeof body !== 'object') throw badRequest('the body of the request was in an unknown format');
  return withType(t.r, replace(ctx, t, body, prev));
}

export function patch(ctx: Ctx, t: Target, body: any, contentType: string): FakeObject {
  const prev = getOr404(ctx, t);
  const next = applyPatch(withType(t.r, prev), contentType, body);
  // A patch carries no resourceVersion precondition unless it sets one.
  if (next.metadata?.resourceVersion === prev.metadata.resourceVersion) delete next.metadata.resourceVersion;
  return withType(t.r, replace(ctx, t, next, prev));
}

function deleteOptions(q: URLSearchParams, body: any): { policy?: PropagationPolicy; grace?: number; preconditions?: any } {
  let policy = (q.get('propagationPolicy') ?? body?.propagationPolicy) as PropagationPolicy | undefined;
  const orphan = q.get('orphanDependents') ?? body?.orphanDependents;
  if (!policy && orphan !== undefined && orphan !== null) policy = String(orphan) === 'true' ? 'Orphan' : 'Background';
  if (policy && !['Background', 'Foreground', 'Orphan'].includes(policy)) {
    throw invalid('DeleteOptions', '', '', [{ field: 'propagationPolicy', type: 'FieldValueNotSupported', detail: `Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan", "nil"` }]);
  }
  const g = q.get('gracePeriodSeconds') ?? body?.gracePeriodSeconds;
  return { policy, grace: g === undefined || g === null ? undefined : Number(g), preconditions: body?.preconditions };
}

export function remove(ctx: Ctx, t: Target, q: URLSearchParams, body: any): FakeObject | StatusBody {
  const prev = getOr404(ctx, t);
  const opts = deleteOptions(q, body);
  if (opts.preconditions?.uid && opts.preconditions.uid !== prev.metadata.uid) {
    throw new StatusError(failure(409, 'Conflict', `Operation cannot be fulfilled on ${t.r.plural} "${t.name}": Precondition failed: UID in precondition: ${opts.preconditions.uid}, UID in object meta: ${prev.metadata.uid}`));
  }
  if (q.get('dryRun') === 'All') return withType(t.r, prev);
  const result = deleteObject(ctx, t.r.plural, t.namespace, t.name!, opts.policy, opts.grace);
  const still = ctx.store.get(t.r.plural, t.namespace, t.name!);
  // Pods answer with the deleted object; an object kept by finalizers or a graceful stop comes back as it now is.
  if (t.r.plural === 'pods' || (still && still.metadata.uid === prev.metadata.uid)) return withType(t.r, result ?? prev);
  return deleted(t.r, t.name!, prev.metadata.uid);
}

export function removeCollection(ctx: Ctx, t: Target, q: URLSearchParams, body: any): unknown {
  const labels = parseLabelSelector(q.get('labelSelector'));
  const fields = parseFieldSelector(q.get('fieldSelector'));
  const opts = deleteOptions(q, body);
  const items: FakeObject[] = [];
  for (const o of ctx.store.list(t.r.plural, t.namespace)) {
    if (!labels(o) || !fields(o)) continue;
    const d = deleteObject(ctx, t.r.plural, t.namespace, o.metadata.name, opts.policy, opts.grace);
    if (d) items.push(d);
  }
  return { kind: `${t.r.kind}List`, apiVersion: apiVersionOf(t.r), metadata: { resourceVersion: ctx.store.currentRv() }, items };
}

/** SelfSubjectAccessReview: answered from `accessReview`, else from the active 'forbidden' faults. */
export function review(ctx: Ctx, body: any): unknown {
  const attrs = body?.spec?.resourceAttributes;
  if (!attrs) {
    throw invalid('SelfSubjectAccessReview', 'authorization.k8s.io', '', [{ field: 'spec.resourceAttributes', type: 'FieldValueInvalid', detail: 'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified' }]);
  }
  const a = { verb: attrs.verb ?? '', resource: attrs.resource ?? '', group: attrs.group ?? '', namespace: attrs.namespace, subresource: attrs.subresource, name: attrs.name };
  const allowed = ctx.opts.accessReview ? ctx.opts.accessReview(a) : !ctx.faults.denies(a.verb, a.resource);
  const status: Record<string, unknown> = { allowed };
  if (allowed) status.reason = `RBAC: allowed by RoleBinding "caplab/${a.namespace ?? 'default'}" of Role "caplab" to User "${ctx.user}"`;
  return {
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec: body.spec,
    status,
  };
}
