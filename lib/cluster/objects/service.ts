/**
 * The headless Service of a data-parallel rank Job. It has no virtual IP (`clusterIP: None`):
 * its only job is DNS, so that each pod whose `subdomain` names it is reachable as
 * `<hostname>.<service>`, e.g. rank 0 at `<job>-0.<job>`. `publishNotReadyAddresses` publishes a
 * pod's name as soon as it has an IP, not once it is Ready: ranks meet before any of them could
 * pass a readiness check (they have none), and rank 0's name must resolve while it waits.
 */
import { commonLabels, checkDnsLabel } from '../labels.ts';
import type { KubeObject } from '../types.ts';

/** Port rank 0 listens on for the rendezvous (PyTorch's MASTER_PORT default). */
export const RENDEZVOUS_PORT = 29500;

export interface HeadlessServiceOptions {
  /** Service name: the pods' `subdomain`. DNS-1123 label, at most 63 chars. */
  name: string;
  namespace?: string;
  /** Pods it publishes: their labels must include all of these. */
  selector: Record<string, string>;
  /** Default RENDEZVOUS_PORT (29500). */
  port?: number;
  labels?: Record<string, string>;
  /** The `app.kubernetes.io/component` label. Default `rank-service`. */
  component?: string;
}

export interface Service extends KubeObject {
  apiVersion: 'v1';
  kind: 'Service';
  spec: {
    clusterIP: 'None';
    publishNotReadyAddresses: boolean;
    selector: Record<string, string>;
    ports: Array<{ name: string; port: number; targetPort: number; protocol: 'TCP' }>;
  };
}

export function buildHeadlessService(o: HeadlessServiceOptions): Service {
  checkDnsLabel('Service name', o.name, 63);
  const port = o.port ?? RENDEZVOUS_PORT;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: o.name,
      ...(o.namespace ? { namespace: o.namespace } : {}),
      labels: { ...commonLabels(o.component ?? 'rank-service'), ...(o.labels ?? {}) },
    },
    spec: {
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: { ...o.selector },
      ports: [{ name: 'rendezvous', port, targetPort: port, protocol: 'TCP' }],
    },
  };
}
