/**
 * Volumes for process-mode pods. A local process has no mount namespace, so each volume becomes a
 * local folder (PVC: one folder per claim, shared by pods; emptyDir: per pod; configMap/secret:
 * files per key) and container paths under a mountPath are rewritten to that folder wherever they
 * appear at the start of an argument, after an '=', or as an env value or workingDir.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import type { Store } from './store.ts';
import type { FakeObject } from './types.ts';
import { ConfigError } from './env.ts';

export interface Mount {
  /** Path inside the container. */
  mountPath: string;
  /** Local folder standing for it. */
  local: string;
}

function writeKeys(store: Store, ns: string, dir: string, kind: 'configmaps' | 'secrets', name: string, items: any[] | undefined, optional: boolean): void {
  const o = store.get(kind, ns, name);
  if (!o) {
    if (optional) return;
    throw new ConfigError(`MountVolume.SetUp failed for volume: ${kind === 'configmaps' ? 'configmap' : 'secret'} "${name}" not found`);
  }
  const decode = (v: string) => (kind === 'secrets' ? Buffer.from(v, 'base64').toString() : v);
  const data: Record<string, string> = o.data ?? {};
  const pairs: Array<[string, string]> = items?.length
    ? items.map((i) => [i.path, decode(data[i.key] ?? '')])
    : Object.entries(data).map(([k, v]) => [k, decode(v)]);
  for (const [p, v] of pairs) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), v);
  }
}

/** Creates the local folders for a pod's volumes and returns the container's mounts. */
export function prepareMounts(store: Store, stateDir: string, pod: FakeObject, container: any): Mount[] {
  const ns = pod.metadata.namespace ?? 'default';
  const vols = new Map<string, string>();
  for (const v of pod.spec?.volumes ?? []) {
    let local: string;
    if (v.persistentVolumeClaim) local = join(stateDir, 'pvc', ns, v.persistentVolumeClaim.claimName);
    else if (v.hostPath) local = v.hostPath.path;
    else local = join(stateDir, 'pods', pod.metadata.uid, 'volumes', v.name);
    mkdirSync(local, { recursive: true });
    if (v.configMap) writeKeys(store, ns, local, 'configmaps', v.configMap.name, v.configMap.items, !!v.configMap.optional);
    if (v.secret) writeKeys(store, ns, local, 'secrets', v.secret.secretName, v.secret.items, !!v.secret.optional);
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

/** Rewrites container paths under a mount to the local folder. */
export function translate(value: string, mounts: Mount[]): string {
  for (const m of mounts) {
    const rx = new RegExp(`(^|=)${escape(m.mountPath)}(?=/|$)`);
    if (rx.test(value)) return value.replace(rx, (_all, pre: string) => `${pre}${m.local}`);
  }
  return value;
}
