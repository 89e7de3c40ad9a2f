/**
 * Pod names without a DNS server: each pod's hosts file lists its own name and, from the
 * EndpointSlices of its namespace, `<hostname>.<service>` (and the longer forms) for every
 * endpoint that has a hostname: what a headless Service's DNS records would say, so an Indexed
 * Job's `<job>-<index>.<service>` resolves to that pod, as data-parallel rank 0 needs.
 */
import type { WireObject } from './wire.ts';

export const CLUSTER_DOMAIN = 'cluster.local';

function names(host: string, service: string, ns: string): string[] {
  const base = `${host}.${service}`;
  return [base, `${base}.${ns}`, `${base}.${ns}.svc`, `${base}.${ns}.svc.${CLUSTER_DOMAIN}`];
}

/** The hosts file of `pod` (at `ip`), given the EndpointSlices of its namespace. */
export function hostsFor(pod: WireObject, ip: string, slices: WireObject[]): string {
  const ns = pod.metadata.namespace ?? 'default';
  const lines = ['# Kubernetes-managed hosts file (caplab process node).', '127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  const hostname: string = pod.spec?.hostname ?? pod.metadata.name;
  const sub: string | undefined = pod.spec?.subdomain;
  lines.push(sub ? `${ip}\t${hostname}.${sub}.${ns}.svc.${CLUSTER_DOMAIN}\t${hostname}` : `${ip}\t${hostname}`);
  const seen = new Set<string>();
  for (const s of [...slices].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
    const service = s.metadata.labels?.['kubernetes.io/service-name'];
    if (!service || s.metadata.namespace !== ns) continue;
    for (const ep of s.endpoints ?? []) {
      const addr: string | undefined = ep.addresses?.[0];
      if (!ep.hostname || !addr || ep.conditions?.ready === false) continue;
      const key = `${addr} ${ep.hostname}.${service}`;
      if (seen.has(key)) continue;
      seen.add(key);
      lines.push(`${addr}\t${names(ep.hostname, service, ns).join('\t')}`);
    }
  }
  return lines.join('\n') + '\n';
}
