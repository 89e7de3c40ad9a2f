/**
 * The PVC for datasets and results. ReadWriteOnce works everywhere but lets pods on one node at
 * a time mount it; a multi-node cluster whose pods all read imported data needs ReadWriteMany
 * (NFS, CephFS, EFS, Filestore, Azure Files …). Synthetic data needs no PVC at all.
 */
import { commonLabels } from '../labels.ts';
import { memory, memoryQuantity, toMemory, type Memory } from '../units.ts';
import type { KubeObject } from '../types.ts';
import { withDefaults } from '../../util/defaults.ts';

export const DATA_CLAIM = 'caplab-data';

export interface DataClaimOptions {
  /** Default `caplab-data`. */
  name?: string;
  namespace?: string;
  /** Default 10Gi. */
  size?: Memory | string;
  /** Default ReadWriteOnce (see above for multi-node clusters). */
  accessModes?: Array<'ReadWriteOnce' | 'ReadWriteMany' | 'ReadOnlyMany' | 'ReadWriteOncePod'>;
  /** Default: the cluster's default StorageClass. */
  storageClassName?: string;
}

export const dataClaimDefaults = {
  name: DATA_CLAIM,
  size: memory.gibibytes(10) as Memory | string,
  accessModes: ['ReadWriteOnce'] as NonNullable<DataClaimOptions['accessModes']>,
};

export function buildDataClaim(options: DataClaimOptions = {}): KubeObject {
  const o = withDefaults(dataClaimDefaults, options);
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: o.name, ...(o.namespace ? { namespace: o.namespace } : {}), labels: commonLabels('storage') },
    spec: {
      accessModes: o.accessModes,
      resources: { requests: { storage: memoryQuantity(toMemory(o.size, 'size')) } },
      ...(o.storageClassName ? { storageClassName: o.storageClassName } : {}),
    },
  };
}
