/**
 * Deletion and the garbage collector: propagationPolicy Background deletes dependents after the
 * owner, Foreground before it, Orphan strips their ownerReferences. Jobs deleted through the API
 * default to Orphan (batch/v1's legacy default; kubectl sends Background).
 */
import type { Ctx, PropagationPolicy } from './context.ts';
import type { FakeObject } from './types.ts';

const NOW = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

function dependents(ctx: Ctx, owner: FakeObject): Array<{ resource: string; obj: FakeObject }> {
  const out: Array<{ resource: string; obj: FakeObject }> = [];
  for (const resource of ['pods']) {
    for (const obj of ctx.store.list(resource, owner.metadata.namespace)) {
      if (obj.metadata.ownerReferences?.some((r) => r.uid === owner.metadata.uid)) out.push({ resource, obj });
    }
  }
  return out;
}

function deleteOne(ctx: Ctx, resource: string, namespace: string | undefined, name: string, graceSeconds?: number): FakeObject | undefined {
  if (resource === 'pods' && namespace) return ctx.deletePod(namespace, name, graceSeconds);
  return ctx.store.remove(resource, namespace, name);
}

export function defaultPolicy(resource: string): PropagationPolicy {
  return resource === 'jobs' ? 'Orphan' : 'Background';
}

export function deleteObject(ctx: Ctx, resource: string, namespace: string | undefined, name: string, policy?: PropagationPolicy, graceSeconds?: number): FakeObject | undefined {
  const owner = ctx.store.get(resource, namespace, name);
  if (!owner) return undefined;
  if (resource === 'namespaces') return deleteNamespace(ctx, name);
  const p = policy ?? defaultPolicy(resource);
  const deps = dependents(ctx, owner);
  if (p === 'Orphan') {
    for (const d of deps) {
      ctx.store.mutate(d.resource, d.obj.metadata.namespace, d.obj.metadata.name, (o) => {
        o.metadata.ownerReferences = o.metadata.ownerReferences?.filter((r) => r.uid !== owner.metadata.uid);
        if (o.metadata.ownerReferences?.length === 0) delete o.metadata.ownerReferences;
      });
    }
    return deleteOne(ctx, resource, namespace, name, graceSeconds);
  }
  if (p === 'Foreground' && deps.length > 0) {
    const marked = ctx.store.mutate(resource, namespace, name, (o) => {
      o.metadata.deletionTimestamp ??= NOW();
      o.metadata.deletionGracePeriodSeconds ??= 0;
      o.metadata.finalizers = [...new Set([...(o.metadata.finalizers ?? []), 'foregroundDeletion'])];
    });
    // The owner goes once its dependents are gone (listening first: some go synchronously).
    let settled = false;
    const settle = () => {
      if (settled) return;
      const still = ctx.store.get(resource, namespace, name);
      if (!still || still.metadata.uid !== owner.metadata.uid) return off();
      if (dependents(ctx, still).length > 0) return;
      settled = true;
      off();
      ctx.later(() => ctx.store.remove(resource, namespace, name));
    };
    const off = ctx.store.onChange((ev) => {
      if (ev.type === 'DELETED' && ev.resource !== resource) settle();
    });
    for (const d of deps) deleteOne(ctx, d.resource, d.obj.metadata.namespace, d.obj.metadata.name);
    settle();
    return marked;
  }
  const gone = deleteOne(ctx, resource, namespace, name, graceSeconds);
  // The garbage collector notices the missing owner a moment later.
  ctx.later(() => {
    for (const d of deps) deleteOne(ctx, d.resource, d.obj.metadata.namespace, d.obj.metadata.name);
  });
  return gone;
}

function deleteNamespace(ctx: Ctx, name: string): FakeObject | undefined {
  const ns = ctx.store.mutate('namespaces', undefined, name, (o) => {
    o.metadata.deletionTimestamp = NOW();
    o.status = { phase: 'Terminating' };
  });
  ctx.later(() => {
    for (const resource of ['jobs', 'pods', 'configmaps', 'secrets', 'services', 'persistentvolumeclaims', 'serviceaccounts', 'events', 'roles', 'rolebindings']) {
      for (const o of ctx.store.list(resource, name)) deleteObject(ctx, resource, name, o.metadata.name, 'Background', 0);
    }
    ctx.store.remove('namespaces', undefined, name);
  });
  return ns;
}
