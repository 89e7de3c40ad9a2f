/** Where a result was measured. Every result carries one, so no plot mixes local and cloud numbers. */
import { cpus, hostname, totalmem } from 'node:os';
import { CAPLAB_VERSION } from './version.ts';

export interface Provenance {
  executor: 'sequential' | 'pool' | 'kubernetes' | 'inline';
  /** Host name locally; pod's node name on a cluster. */
  host: string;
  cores: number;
  totalMemoryBytes: number;
  node: string;
  backend?: string;
  /** Set on a cluster: kube context, server version, pod name, requested resources. */
  cluster?: { context: string; serverVersion?: string; pod?: string; node?: string; cpu?: string; memory?: string };
  versions: Record<string, string>;
}

export function localProvenance(executor: Provenance['executor'], backend?: string): Provenance {
  return {
    executor,
    host: hostname(),
    cores: cpus().length,
    totalMemoryBytes: totalmem(),
    node: process.version,
    backend,
    versions: { caplab: CAPLAB_VERSION, node: process.version },
  };
}
