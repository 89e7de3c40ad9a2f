/**
 * A container's environment as the kubelet builds it: envFrom, env values with $(VAR)
 * expansion, and valueFrom configMapKeyRef / secretKeyRef / fieldRef / resourceFieldRef.
 */
import type { WireObject } from './wire.ts';
import { parseQuantity } from './quantity.ts';

/**
 * Where env and volumes read ConfigMaps, Secrets and the Node from: the node agent fetches them
 * from the API server before a container starts.
 */
export interface ConfigSource {
  get(kind: 'configmaps' | 'secrets', namespace: string, name: string): WireObject | undefined;
  node(): WireObject | undefined;
}

/** A missing ConfigMap/Secret: the container cannot be created (CreateContainerConfigError). */
export class ConfigError extends Error {}

/** $(VAR) → value when VAR is defined; $$(VAR) → literal $(VAR), as Kubernetes expands. */
export function expand(s: string, env: Record<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') return '$';
    return name !== undefined && Object.hasOwn(env, name) ? env[name] : m;
  });
}

function fieldRef(pod: WireObject, path: string): string {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return pod.metadata[m[1] as 'labels' | 'annotations']?.[m[2]] ?? '';
  switch (path) {
    case 'metadata.name': return pod.metadata.name;
    case 'metadata.namespace': return pod.metadata.namespace ?? '';
    case 'metadata.uid': return pod.metadata.uid;
    case 'spec.nodeName': return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP': return pod.status?.podIP ?? '';
    case 'status.hostIP': return pod.status?.hostIP ?? '';
    case 'status.podIPs': return (pod.status?.podIPs ?? []).map((p: any) => p.ip).join(',');
    case 'status.hostIPs': return (pod.status?.hostIPs ?? []).map((p: any) => p.ip).join(',');
    default: throw new ConfigError(`unsupported fieldRef ${path}`);
  }
}

function resourceFieldRef(container: any, ref: any, node: WireObject | undefined): string {
  const [kind, res] = String(ref.resource).split('.');
  const given = container.resources?.[kind]?.[res];
  const value = given !== undefined ? parseQuantity(given) : parseQuantity(node?.status?.allocatable?.[res]);
  const divisor = parseQuantity(ref.divisor ?? '1');
  return String(Math.ceil(value / divisor));
}

function lookup(store: ConfigSource, ns: string, kind: 'configmaps' | 'secrets', name: string, key: string | undefined, optional: boolean): string | Record<string, string> | undefined {
  const o = store.get(kind, ns, name);
  const what = kind === 'configmaps' ? 'configmap' : 'secret';
  if (!o) {
    if (optional) return undefined;
    throw new ConfigError(`${what} "${name}" not found`);
  }
  const data: Record<string, string> = kind === 'secrets'
    ? Object.fromEntries(Object.entries(o.data ?? {}).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString()]))
    : { ...(o.data ?? {}) };
  if (key === undefined) return data;
  if (!Object.hasOwn(data, key)) {
    if (optional) return undefined;
    throw new ConfigError(`couldn't find key ${key} in ${what[0].toUpperCase()}${what.slice(1)} ${ns}/${name}`);
  }
  return data[key];
}

export function containerEnv(store: ConfigSource, pod: WireObject, container: any): Record<string, string> {
  const ns = pod.metadata.namespace ?? 'default';
  const env: Record<string, string> = {};
  for (const src of container.envFrom ?? []) {
    const ref = src.configMapRef ?? src.secretRef;
    const kind = src.configMapRef ? 'configmaps' : 'secrets';
    const data = lookup(store, ns, kind, ref.name, undefined, !!ref.optional) as Record<string, string> | undefined;
    for (const [k, v] of Object.entries(data ?? {})) env[`${src.prefix ?? ''}${k}`] = v;
  }
  const node = store.node();
  for (const e of container.env ?? []) {
    const vf = e.valueFrom;
    let v: string | undefined;
    if (!vf) v = expand(e.value ?? '', env);
    else if (vf.configMapKeyRef) v = lookup(store, ns, 'configmaps', vf.configMapKeyRef.name, vf.configMapKeyRef.key, !!vf.configMapKeyRef.optional) as string | undefined;
    else if (vf.secretKeyRef) v = lookup(store, ns, 'secrets', vf.secretKeyRef.name, vf.secretKeyRef.key, !!vf.secretKeyRef.optional) as string | undefined;
    else if (vf.fieldRef) v = fieldRef(pod, vf.fieldRef.fieldPath);
    else if (vf.resourceFieldRef) v = resourceFieldRef(container, vf.resourceFieldRef, node);
    if (v !== undefined) env[e.name] = v;
  }
  return env;
}
