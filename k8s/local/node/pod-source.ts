/**
 * Everything a pod's containers read from the API before they start — ConfigMaps and Secrets
 * (env and volumes), each claim's host folder (through its bound PersistentVolume), projected
 * service-account tokens (TokenRequest bound to the pod) — fetched as this node's identity, which
 * the Node authorizer allows only for pods bound here. The builders then read it synchronously.
 */
import type { Api } from '../api.ts';
import { ConfigError } from './env.ts';
import type { VolumeSource } from './volumes.ts';
import type { WireObject } from './wire.ts';

function referenced(pod: WireObject): { configmaps: Set<string>; secrets: Set<string>; claims: Set<string>; tokens: Array<{ audience?: string; seconds?: number }> } {
  const configmaps = new Set<string>();
  const secrets = new Set<string>();
  const claims = new Set<string>();
  const tokens: Array<{ audience?: string; seconds?: number }> = [];
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const f of c.envFrom ?? []) {
      if (f.configMapRef) configmaps.add(f.configMapRef.name);
      if (f.secretRef) secrets.add(f.secretRef.name);
    }
    for (const e of c.env ?? []) {
      if (e.valueFrom?.configMapKeyRef) configmaps.add(e.valueFrom.configMapKeyRef.name);
      if (e.valueFrom?.secretKeyRef) secrets.add(e.valueFrom.secretKeyRef.name);
    }
  }
  for (const v of pod.spec?.volumes ?? []) {
    if (v.configMap) configmaps.add(v.configMap.name);
    if (v.secret) secrets.add(v.secret.secretName);
    if (v.persistentVolumeClaim) claims.add(v.persistentVolumeClaim.claimName);
    for (const s of v.projected?.sources ?? []) {
      if (s.configMap) configmaps.add(s.configMap.name);
      if (s.secret) secrets.add(s.secret.name);
      if (s.serviceAccountToken) tokens.push({ audience: s.serviceAccountToken.audience, seconds: s.serviceAccountToken.expirationSeconds });
    }
  }
  return { configmaps, secrets, claims, tokens };
}

/** Fetches what the pod references. Claims that are not bound, or whose volume has no host folder, throw ConfigError. */
export async function fetchPodSource(api: Api, pod: WireObject, node: () => WireObject | undefined): Promise<VolumeSource> {
  const ns = pod.metadata.namespace ?? 'default';
  const refs = referenced(pod);
  const objects = new Map<string, WireObject | undefined>();
  await Promise.all([
    ...[...refs.configmaps].map(async (n) => objects.set(`configmaps/${n}`, await api.find(`/api/v1/namespaces/${ns}/configmaps/${n}`))),
    ...[...refs.secrets].map(async (n) => objects.set(`secrets/${n}`, await api.find(`/api/v1/namespaces/${ns}/secrets/${n}`))),
  ]);
  const claimPaths = new Map<string, string>();
  for (const claim of refs.claims) {
    const pvc = await api.find(`/api/v1/namespaces/${ns}/persistentvolumeclaims/${claim}`);
    if (!pvc) throw new ConfigError(`MountVolume.SetUp failed for volume: persistentvolumeclaim "${claim}" not found`);
    const pvName = pvc.spec?.volumeName;
    if (!pvName || pvc.status?.phase !== 'Bound') throw new ConfigError(`MountVolume.SetUp failed for volume: persistentvolumeclaim "${claim}" is not bound`);
    const pv = await api.find(`/api/v1/persistentvolumes/${pvName}`);
    const path = pv?.spec?.hostPath?.path ?? pv?.spec?.local?.path;
    if (!path) throw new ConfigError(`MountVolume.SetUp failed for volume "${pvName}": a process node mounts only hostPath or local volumes`);
    claimPaths.set(claim, path);
  }
  const tokens = new Map<string, string>();
  const sa = pod.spec?.serviceAccountName ?? 'default';
  for (const t of refs.tokens) {
    const r = await api.post(`/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        ...(t.audience ? { audiences: [t.audience] } : {}),
        expirationSeconds: t.seconds ?? 3607,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid },
      },
    });
    tokens.set(t.audience ?? '', r.status.token);
  }
  return {
    get: (kind, _ns, name) => objects.get(`${kind}/${name}`),
    node,
    claimPath(_ns, claim) {
      const p = claimPaths.get(claim);
      if (!p) throw new ConfigError(`MountVolume.SetUp failed for volume: persistentvolumeclaim "${claim}" not found`);
      return p;
    },
    token: (_ns, _sa, audience) => tokens.get(audience ?? ''),
  };
}
