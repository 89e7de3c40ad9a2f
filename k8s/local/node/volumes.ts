/**
 * Volumes for pods that are local processes. A process has no mount namespace of its own here,
 * so each volume becomes a local folder (PVC: its PersistentVolume's host folder, shared by pods;
 * emptyDir: per pod; configMap / secret / projected: files per key) and container paths under a
 * mountPath are rewritten to that folder wherever they appear at the start of an argument, after
 * an '=', or as an env value or workingDir.
 */
import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import type { WireObject } from './wire.ts';
import { ConfigError, type ConfigSource } from './env.ts';

export interface Mount {
  /** Path inside the container. */
  mountPath: string;
  /** Local folder standing for it. */
  local: string;
}

export interface VolumeSource extends ConfigSource {
  /** The host folder of a claim; throws ConfigError while it is not bound. */
  claimPath(namespace: string, claim: string): string;
  /** A projected service-account token (fetched before, through TokenRequest). */
  token?(namespace: string, serviceAccount: string, audience: string | undefined): string | undefined;
}

export interface MountOptions {
  /** Per-pod folders (emptyDir, configMap…) go under `<podDir>/volumes/<name>`. */
  podDir: string;
  /** Owner of per-pod folders: the pod's runAsUser / fsGroup, so a non-root container can write. */
  owner?: { uid: number; gid: number };
}

function own(path: string, o: MountOptions): void {
  if (o.owner) chownSync(path, o.owner.uid, o.owner.gid);
}

function writeFiles(dir: string, pairs: Array<[string, string]>, o: MountOptions): void {
  for (const [p, v] of pairs) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), v);
    own(join(dir, p), o);
  }
}

function keys(src: VolumeSource, ns: string, kind: 'configmaps' | 'secrets', name: string, items: any[] | undefined, optional: boolean): Array<[string, string]> {
  const obj = src.get(kind, ns, name);
  if (!obj) {
    if (optional) return [];
    throw new ConfigError(`MountVolume.SetUp failed for volume: ${kind === 'configmaps' ? 'configmap' : 'secret'} "${name}" not found`);
  }
  const decode = (v: string) => (kind === 'secrets' ? Buffer.from(v, 'base64').toString() : v);
  const data: Record<string, string> = obj.data ?? {};
  return items?.length ? items.map((i) => [i.path, decode(data[i.key] ?? '')]) : Object.entries(data).map(([k, v]) => [k, decode(v)]);
}

function downward(pod: WireObject, items: any[]): Array<[string, string]> {
  return items.map((i) => {
    const path: string = i.fieldRef?.fieldPath ?? '';
    const value = path === 'metadata.namespace' ? pod.metadata.namespace ?? ''
      : path === 'metadata.name' ? pod.metadata.name
        : path === 'metadata.uid' ? pod.metadata.uid
          : path === 'metadata.labels' ? Object.entries(pod.metadata.labels ?? {}).map(([k, v]) => `${k}="${v}"`).join('\n')
            : path === 'metadata.annotations' ? Object.entries(pod.metadata.annotations ?? {}).map(([k, v]) => `${k}="${v}"`).join('\n')
              : '';
    return [i.path, value];
  });
}

function projected(src: VolumeSource, pod: WireObject, ns: string, sources: any[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const s of sources) {
    if (s.configMap) out.push(...keys(src, ns, 'configmaps', s.configMap.name, s.configMap.items, !!s.configMap.optional));
    if (s.secret) out.push(...keys(src, ns, 'secrets', s.secret.name, s.secret.items, !!s.secret.optional));
    if (s.downwardAPI) out.push(...downward(pod, s.downwardAPI.items ?? []));
    if (s.serviceAccountToken) {
      const t = src.token?.(ns, pod.spec?.serviceAccountName ?? 'default', s.serviceAccountToken.audience);
      if (t === undefined) throw new ConfigError(`MountVolume.SetUp failed for volume: no token for service account "${pod.spec?.serviceAccountName ?? 'default'}"`);
      out.push([s.serviceAccountToken.path, t]);
    }
  }
  return out;
}

/** Creates the local folders for a pod's volumes and returns the container's mounts. */
export function prepareMounts(src: VolumeSource, o: MountOptions, pod: WireObject, container: any): Mount[] {
  const ns = pod.metadata.namespace ?? 'default';
  const vols = new Map<string, string>();
  for (const v of pod.spec?.volumes ?? []) {
    let local: string;
    if (v.persistentVolumeClaim) local = src.claimPath(ns, v.persistentVolumeClaim.claimName);
    else if (v.hostPath) local = v.hostPath.path;
    else {
      local = join(o.podDir, 'volumes', v.name);
      mkdirSync(local, { recursive: true });
      own(local, o);
    }
    if (v.configMap) writeFiles(local, keys(src, ns, 'configmaps', v.configMap.name, v.configMap.items, !!v.configMap.optional), o);
    if (v.secret) writeFiles(local, keys(src, ns, 'secrets', v.secret.secretName, v.secret.items, !!v.secret.optional), o);
    if (v.downwardAPI) writeFiles(local, downward(pod, v.downwardAPI.items ?? []), o);
    if (v.projected) writeFiles(local, projected(src, pod, ns, v.projected.sources ?? []), o);
    vols.set(v.name, local);
  }
  const mounts: Mount[] = [];
  for (const m of container.volumeMounts ?? []) {
    const base = vols.get(m.name);
    if (base === undefined) throw new ConfigError(`volume "${m.name}" not found in pod spec`);
    const local = m.subPath ? join(base, m.subPath) : base;
    mkdirSync(local, { recursive: true });
    mounts.push({ mountPath: m.mountPath.replace(/\/+$/, ''), local });
  }
  // Longest first, so /data/cache wins over /data.
  return mounts.sort((a, b) => b.mountPath.length - a.mountPath.length);
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Rewrites container paths under a mount to the local folder. A path inside `imageRoot` (the
 * checkout that stands for the worker image's files) is the image's own file and stays: a pod
 * with an emptyDir at /tmp must still run a checkout that lives under /tmp.
 */
export function translate(value: string, mounts: Mount[], imageRoot?: string): string {
  if (imageRoot) {
    const root = imageRoot.replace(/\/+$/, '');
    const path = value.slice(value.indexOf('=') + 1);
    if (path === root || path.startsWith(`${root}/`)) return value;
  }
  for (const m of mounts) {
    const rx = new RegExp(`(^|=)${escape(m.mountPath)}(?=/|$)`);
    if (rx.test(value)) return value.replace(rx, (_all, pre: string) => `${pre}${m.local}`);
  }
  return value;
}
