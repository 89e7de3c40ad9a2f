/**
 * The local cluster's storage: an external provisioner for the default StorageClass
 * (`caplab-local`). The real PersistentVolume controller asks for a volume (it annotates the
 * claim with this provisioner's name); this makes a host folder and a PersistentVolume bound to
 * the claim, and the controller binds them, so claims go Bound as on a cloud cluster. Released
 * volumes (claim deleted, reclaim policy Delete) lose their folder and their PV.
 *
 * Usage: node k8s/local/provisioner.ts <kubeconfig> <volumes-folder>
 */
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Api, ApiError, listWatch } from './api.ts';
import { PROVISIONER } from './bootstrap.ts';

const ANNOTATIONS = ['volume.kubernetes.io/storage-provisioner', 'volume.beta.kubernetes.io/storage-provisioner'];

function wantsUs(pvc: any): boolean {
  const a = pvc.metadata?.annotations ?? {};
  return ANNOTATIONS.some((k) => a[k] === PROVISIONER) && !pvc.spec?.volumeName && pvc.status?.phase === 'Pending' && !pvc.metadata?.deletionTimestamp;
}

function pvFor(pvc: any, folder: string): object {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: `pvc-${pvc.metadata.uid}`, annotations: { 'pv.kubernetes.io/provisioned-by': PROVISIONER } },
    spec: {
      capacity: { storage: pvc.spec.resources?.requests?.storage ?? '1Gi' },
      accessModes: pvc.spec.accessModes ?? ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: pvc.spec.storageClassName,
      volumeMode: pvc.spec.volumeMode ?? 'Filesystem',
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: pvc.metadata.namespace, name: pvc.metadata.name, uid: pvc.metadata.uid },
      hostPath: { path: folder, type: 'Directory' },
    },
  };
}

export function startProvisioner(api: Api, volumes: string, log: (l: string) => void): () => void {
  const busy = new Set<string>();
  const provision = async (pvc: any) => {
    if (!wantsUs(pvc) || busy.has(pvc.metadata.uid)) return;
    busy.add(pvc.metadata.uid);
    const name = `pvc-${pvc.metadata.uid}`;
    const folder = join(volumes, name);
    try {
      mkdirSync(folder, { recursive: true });
      // Pods run as their securityContext's user (caplab's as 1000): anyone may write, as with local-path volumes.
      chmodSync(folder, 0o777);
      await api.post('/api/v1/persistentvolumes', pvFor(pvc, folder));
      log(`provisioned ${name} for ${pvc.metadata.namespace}/${pvc.metadata.name} at ${folder}`);
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 409)) log(`cannot provision ${pvc.metadata.namespace}/${pvc.metadata.name}: ${(e as Error).message}`);
    } finally {
      busy.delete(pvc.metadata.uid);
    }
  };
  const reclaim = async (pv: any) => {
    if (pv.metadata?.annotations?.['pv.kubernetes.io/provisioned-by'] !== PROVISIONER || pv.status?.phase !== 'Released') return;
    if (pv.spec?.persistentVolumeReclaimPolicy !== 'Delete') return;
    try {
      const path = pv.spec?.hostPath?.path;
      if (typeof path === 'string' && path.startsWith(volumes + '/')) rmSync(path, { recursive: true, force: true });
      await api.delete(`/api/v1/persistentvolumes/${pv.metadata.name}`);
      log(`deleted released ${pv.metadata.name}`);
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 404)) log(`cannot delete ${pv.metadata.name}: ${(e as Error).message}`);
    }
  };
  const claims = listWatch(api, '/api/v1/persistentvolumeclaims', {}, {
    onList: (items) => items.forEach((p) => void provision(p)),
    onEvent: (type, p) => void (type !== 'DELETED' && provision(p)),
    onError: (e) => log(`claims watch: ${(e as Error).message}`),
  });
  const vols = listWatch(api, '/api/v1/persistentvolumes', {}, {
    onList: (items) => items.forEach((p) => void reclaim(p)),
    onEvent: (type, p) => void (type !== 'DELETED' && reclaim(p)),
    onError: (e) => log(`volumes watch: ${(e as Error).message}`),
  });
  return () => {
    claims.stop();
    vols.stop();
  };
}

if (import.meta.main) {
  const [kubeconfig, volumes] = process.argv.slice(2);
  if (!kubeconfig || !volumes) {
    console.error('usage: node k8s/local/provisioner.ts <kubeconfig> <volumes-folder>');
    process.exit(2);
  }
  mkdirSync(volumes, { recursive: true });
  const log = (l: string) => console.log(`${new Date().toISOString()} ${l}`);
  const stop = startProvisioner(new Api(kubeconfig), volumes, log);
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => (stop(), process.exit(0)));
}
