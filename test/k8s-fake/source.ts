/** The store as the node's env and volume builders (k8s/local/node) read ConfigMaps, Secrets, the Node and claims. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from './store.ts';
import type { FakeObject } from './types.ts';
import type { VolumeSource } from '../../k8s/local/node/volumes.ts';

export function storeSource(store: Store, stateDir: string, pod: FakeObject): VolumeSource {
  return {
    get: (kind, ns, name) => store.get(kind, ns, name),
    node: () => (pod.spec?.nodeName ? store.get('nodes', undefined, pod.spec.nodeName) : undefined),
    claimPath(ns, claim) {
      const dir = join(stateDir, 'pvc', ns, claim);
      mkdirSync(dir, { recursive: true });
      return dir;
    },
  };
}
