/** Events as the kubelet records them (source kubelet on this host), about pods and the node. */
import { randomBytes } from 'node:crypto';
import type { Api } from '../api.ts';
import type { WireObject } from './wire.ts';

export type EventType = 'Normal' | 'Warning';

export class Recorder {
  private readonly api: Api;
  private readonly node: string;
  private readonly log: (l: string) => void;

  constructor(api: Api, node: string, log: (l: string) => void) {
    this.api = api;
    this.node = node;
    this.log = log;
  }

  /** About a pod (and one of its containers, when named). Never throws: an event is best effort, as in the kubelet. */
  pod(pod: WireObject, type: EventType, reason: string, message: string, container?: string): void {
    const ns = pod.metadata.namespace ?? 'default';
    void this.emit(ns, {
      kind: 'Pod', apiVersion: 'v1', namespace: ns, name: pod.metadata.name, uid: pod.metadata.uid,
      ...(container ? { fieldPath: `spec.containers{${container}}` } : {}),
    }, type, reason, message);
  }

  /** About the node itself (e.g. that memory limits fall back to watching RSS). */
  nodeEvent(uid: string, type: EventType, reason: string, message: string): void {
    void this.emit('default', { kind: 'Node', apiVersion: 'v1', name: this.node, uid }, type, reason, message);
  }

  private async emit(namespace: string, involvedObject: object, type: EventType, reason: string, message: string): Promise<void> {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const name = `${(involvedObject as { name: string }).name}.${randomBytes(8).toString('hex')}`;
    try {
      await this.api.post(`/api/v1/namespaces/${namespace}/events`, {
        apiVersion: 'v1', kind: 'Event',
        metadata: { name, namespace },
        involvedObject, reason, message, type,
        source: { component: 'kubelet', host: this.node },
        firstTimestamp: now, lastTimestamp: now, count: 1,
        reportingComponent: 'kubelet', reportingInstance: this.node,
      });
    } catch (e) {
      this.log(`event ${reason} not recorded: ${(e as Error).message}`);
    }
  }
}
