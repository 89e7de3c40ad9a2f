/**
 * The double's etcd: objects by resource, one cluster-wide resourceVersion counter, and a bounded
 * history of change events from which watches resume (older resourceVersions get 410 Gone).
 */
import { randomUUID } from 'node:crypto';
import type { FakeObject, FakeObjectMeta } from './types.ts';
import { resourceNamed } from './resources.ts';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  resource: string;
  rv: number;
  object: FakeObject;
  /** The object before a MODIFIED/DELETED (for selector transitions). */
  prev?: FakeObject;
}

/** Metadata for an object about to be created (the store fills uid, resourceVersion, timestamps). */
export function newMeta(name: string, namespace?: string, extra: Partial<FakeObjectMeta> = {}): FakeObjectMeta {
  const m: FakeObjectMeta = { name, uid: '', resourceVersion: '', creationTimestamp: '', ...extra };
  if (namespace !== undefined) m.namespace = namespace;
  return m;
}

function key(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

function clone<T>(x: T): T {
  return structuredClone(x);
}

export class Store {
  private rv = 1000;
  private readonly objects = new Map<string, Map<string, FakeObject>>();
  private history: StoreEvent[] = [];
  /** Watches may resume from any resourceVersion >= this. */
  private oldestResumable = 1000;
  private readonly listeners = new Set<(ev: StoreEvent) => void>();
  private readonly historySize: number;

  constructor(historySize: number) {
    this.historySize = historySize;
  }

  currentRv(): string {
    return String(this.rv);
  }

  private table(resource: string): Map<string, FakeObject> {
    let t = this.objects.get(resource);
    if (!t) this.objects.set(resource, (t = new Map()));
    return t;
  }

  get(resource: string, namespace: string | undefined, name: string): FakeObject | undefined {
    const o = this.table(resource).get(key(namespace, name));
    return o && clone(o);
  }

  has(resource: string, namespace: string | undefined, name: string): boolean {
    return this.table(resource).has(key(namespace, name));
  }

  list(resource: string, namespace?: string): FakeObject[] {
    const out: FakeObject[] = [];
    for (const o of this.table(resource).values()) {
      if (namespace === undefined || o.metadata.namespace === namespace) out.push(clone(o));
    }
    return out;
  }

  /** Stores a new object: fills uid, resourceVersion, creationTimestamp, generation. Caller checks existence. */
  create(resource: string, obj: FakeObject): FakeObject {
    const o = clone(obj);
    o.metadata.uid = o.metadata.uid || randomUUID();
    o.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    if (resourceNamed(resource).generation) o.metadata.generation = 1;
    return this.commit('ADDED', resource, o, undefined);
  }

  /** Replaces a stored object (caller checked existence and resourceVersion preconditions). */
  update(resource: string, obj: FakeObject): FakeObject {
    const t = this.table(resource);
    const prev = t.get(key(obj.metadata.namespace, obj.metadata.name));
    if (!prev) throw new Error(`k8s-fake: update of missing ${resource} ${obj.metadata.name}`);
    const o = clone(obj);
    o.metadata.uid = prev.metadata.uid;
    o.metadata.creationTimestamp = prev.metadata.creationTimestamp;
    if (resourceNamed(resource).generation) {
      const changed = JSON.stringify(o.spec) !== JSON.stringify(prev.spec);
      o.metadata.generation = (prev.metadata.generation ?? 1) + (changed ? 1 : 0);
    }
    // A write that changes nothing does not bump resourceVersion, as in a real apiserver.
    o.metadata.resourceVersion = prev.metadata.resourceVersion;
    if (JSON.stringify(o) === JSON.stringify(prev)) return clone(prev);
    return this.commit('MODIFIED', resource, o, prev);
  }

  /** Read-modify-write of a stored object; `fn` edits it in place. Returns undefined if missing. */
  mutate(resource: string, namespace: string | undefined, name: string, fn: (o: FakeObject) => void): FakeObject | undefined {
    const cur = this.get(resource, namespace, name);
    if (!cur) return undefined;
    fn(cur);
    return this.update(resource, cur);
  }

  remove(resource: string, namespace: string | undefined, name: string): FakeObject | undefined {
    const t = this.table(resource);
    const prev = t.get(key(namespace, name));
    if (!prev) return undefined;
    t.delete(key(namespace, name));
    const o = clone(prev);
    this.rv++;
    o.metadata.resourceVersion = String(this.rv);
    this.record({ type: 'DELETED', resource, rv: this.rv, object: o, prev });
    return clone(o);
  }

  private commit(type: EventType, resource: string, o: FakeObject, prev: FakeObject | undefined): FakeObject {
    this.rv++;
    o.metadata.resourceVersion = String(this.rv);
    this.table(resource).set(key(o.metadata.namespace, o.metadata.name), o);
    this.record({ type, resource, rv: this.rv, object: clone(o), prev });
    return clone(o);
  }

  private record(ev: StoreEvent): void {
    this.history.push(ev);
    if (this.history.length > this.historySize) {
      const dropped = this.history.splice(0, this.history.length - this.historySize);
      this.oldestResumable = dropped[dropped.length - 1].rv;
    }
    for (const l of [...this.listeners]) l(ev);
  }

  /**
   * Events after `rv` for one resource, or 'gone' when the history no longer reaches back that
   * far (the apiserver's "too old resource version").
   */
  eventsSince(resource: string, rv: number): StoreEvent[] | 'gone' {
    if (rv < this.oldestResumable) return 'gone';
    return this.history.filter((e) => e.resource === resource && e.rv > rv);
  }

  oldestRv(): number {
    return this.oldestResumable;
  }

  /** Forgets all history: any watch resuming from an older resourceVersion gets 410. */
  compact(): void {
    this.history = [];
    this.oldestResumable = this.rv;
  }

  onChange(fn: (ev: StoreEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
