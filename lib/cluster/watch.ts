/**
 * A watch that keeps going. The client's informer re-lists by itself on 410 Gone and reconnects
 * after a clean close or its inactivity timeout, but stops on any other error (a dropped
 * connection, a 5xx): here it is restarted with exponential backoff, and a re-list after the
 * restart replays what was missed (deletions included).
 */
import { k8s, type KubernetesObject } from './vendor.ts';
import type { Kube } from './kube.ts';
import { withDefaults } from '../util/defaults.ts';

export interface WatchHandlers<T> {
  onChange(obj: T): void;
  onDelete(obj: T): void;
  /** Each (re)connect, after the list is in: a chance to look at the whole cache. */
  onSynced?(objects: T[]): void;
  /** Each error before a restart (for a status line or a test). */
  onError?(error: unknown, restartInMs: number): void;
  /** An error no restart can fix (401, 403): the watch has stopped. */
  onFatal?(error: unknown): void;
}

export interface WatchOptions {
  /** First restart delay. Default 200 ms; doubles up to maxBackoffMs. */
  backoffMs?: number;
  /** Default 10 s. */
  maxBackoffMs?: number;
  /** Give up (onFatal) after failing this long without a single event in between. Default 5 minutes. */
  giveUpAfterMs?: number;
}

export interface RunningWatch<T> {
  list(): T[];
  stop(): Promise<void>;
}

const defaults = { backoffMs: 200, maxBackoffMs: 10_000, giveUpAfterMs: 300_000 };

/** A label selector, or label and field selectors (events are selected by field: involvedObject.name=…). */
export type WatchSelector = string | { label?: string; field?: string };

/** Watches `kind` in the namespace with a label (and/or field) selector. */
export async function watchObjects<T extends KubernetesObject>(
  kube: Kube,
  kind: 'pods' | 'jobs' | 'events',
  selector: WatchSelector,
  handlers: WatchHandlers<T>,
  options: WatchOptions = {},
): Promise<RunningWatch<T>> {
  const o = withDefaults(defaults, options);
  const m = await k8s();
  const ns = kube.namespace;
  const { label: labelSelector, field: fieldSelector } = typeof selector === 'string' ? { label: selector, field: undefined } : selector;
  const path = kind === 'jobs' ? `/apis/batch/v1/namespaces/${ns}/jobs` : `/api/v1/namespaces/${ns}/${kind}`;
  const query = { namespace: ns, labelSelector, fieldSelector };
  const listFn = (kind === 'pods'
    ? () => kube.core.listNamespacedPod(query)
    : kind === 'events'
      ? () => kube.core.listNamespacedEvent(query)
      : () => kube.batch.listNamespacedJob(query)) as unknown as () => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>;
  // makeInformer takes no field selector; ListWatch (what it builds) does.
  const informer = new m.ListWatch<T>(path, new m.Watch(kube.kc), listFn as never, false, labelSelector, fieldSelector);
  let stopped = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let failingSince = 0;
  const ok = () => void ((failures = 0), (failingSince = 0));
  informer.on('add', (obj) => (ok(), handlers.onChange(obj)));
  informer.on('update', (obj) => (ok(), handlers.onChange(obj)));
  informer.on('delete', (obj) => handlers.onDelete(obj));
  const begin = async () => {
    await informer.start();
    // start() returns once the list is in and the watch is open (or failed into 'error').
    if (!stopped) handlers.onSynced?.([...informer.list(ns)]);
  };
  informer.on('error', (err) => {
    if (stopped) return;
    const code = (err as { code?: number; statusCode?: number })?.statusCode ?? (err as { code?: number })?.code;
    if (code === 401 || code === 403) {
      // Retrying cannot grant a permission.
      stopped = true;
      handlers.onFatal?.(err);
      return;
    }
    failingSince ||= Date.now();
    if (Date.now() - failingSince > o.giveUpAfterMs) {
      stopped = true;
      handlers.onFatal?.(err);
      return;
    }
    const delay = Math.min(o.backoffMs * 2 ** failures, o.maxBackoffMs);
    failures++;
    handlers.onError?.(err, delay);
    timer = setTimeout(() => {
      if (!stopped) begin().catch((e) => handlers.onError?.(e, delay));
    }, delay);
  });
  await begin();
  return {
    list: () => [...informer.list(ns)],
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await informer.stop();
    },
  };
}
