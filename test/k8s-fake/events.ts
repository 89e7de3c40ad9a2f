/** core/v1 Events as the scheduler, kubelet and job controller record them (with aggregation). */
import { randomBytes } from 'node:crypto';
import type { FakeObject } from './types.ts';
import type { Store } from './store.ts';
import { newMeta } from './store.ts';

export interface EventSource {
  component: 'default-scheduler' | 'kubelet' | 'job-controller';
  host?: string;
}

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

export function recordEvent(store: Store, involved: FakeObject, type: 'Normal' | 'Warning', reason: string, message: string, source: EventSource, fieldPath?: string): void {
  const ns = involved.metadata.namespace ?? 'default';
  // Repeats of one event bump count and lastTimestamp, as the client-go recorder aggregates them.
  const same = store.list('events', ns).find((e) =>
    e.involvedObject.uid === involved.metadata.uid && e.reason === reason && e.message === message);
  if (same) {
    store.mutate('events', ns, same.metadata.name, (e) => {
      e.count = (e.count ?? 1) + 1;
      e.lastTimestamp = now();
    });
    return;
  }
  const t = now();
  const involvedObject: Record<string, unknown> = {
    kind: involved.kind,
    namespace: ns,
    name: involved.metadata.name,
    uid: involved.metadata.uid,
    apiVersion: involved.apiVersion,
    resourceVersion: involved.metadata.resourceVersion,
  };
  if (fieldPath) involvedObject.fieldPath = fieldPath;
  store.create('events', {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: newMeta(`${involved.metadata.name}.${randomBytes(8).toString('hex')}`, ns),
    involvedObject,
    reason,
    message,
    source: source.host ? { component: source.component, host: source.host } : { component: source.component },
    firstTimestamp: t,
    lastTimestamp: t,
    count: 1,
    type,
    eventTime: null,
    reportingComponent: source.component === 'job-controller' ? 'job-controller' : source.component,
    reportingInstance: source.host ?? '',
  });
}
