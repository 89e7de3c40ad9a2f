/** What the double's parts share: storage, faults, logs, options, and a way to schedule work. */
import type { Store } from './store.ts';
import type { Faults } from './faults.ts';
import type { Logs } from '../../k8s/local/node/logs.ts';
import type { AccessAttributes, FakeObject, FakeNode, ResolvedCommand, SimulatedOutcome } from './types.ts';

export interface Resolved {
  nodes: FakeNode[];
  namespace: string;
  createNamespace: boolean;
  mode: 'process' | 'simulated';
  repoRoot: string;
  accessReview?: (attrs: AccessAttributes) => boolean;
  simulate?: (pod: FakeObject, containerName: string) => SimulatedOutcome | 'hold';
  resolveCommand?: (container: any, pod: FakeObject) => ResolvedCommand | undefined;
  baseEnv: Record<string, string>;
  port: number;
  stepDelayMs: number;
  watchCacheSize: number;
  serverVersion: string;
  requireServiceAccounts: boolean;
  serviceAccounts?: string[];
}

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export interface Ctx {
  store: Store;
  faults: Faults;
  logs: Logs;
  opts: Resolved;
  user: string;
  /** Folder for volumes (PVCs, emptyDirs, configMap files) of process-mode pods. */
  stateDir: string;
  /** Runs fn after stepDelayMs (default: next tick); dropped once the cluster closes. */
  later(fn: () => void): void;
  /** Timers the cluster must clear on close. */
  timer(fn: () => void, ms: number): NodeJS.Timeout;
  closed: boolean;
  /** Deletes a pod the way the kubelet does: running containers get a graceful stop first. */
  deletePod(namespace: string, name: string, graceSeconds?: number): FakeObject | undefined;
  /** Deletes any object, applying the garbage collector's propagation policy to dependents. */
  deleteObject(resource: string, namespace: string | undefined, name: string, policy?: PropagationPolicy, graceSeconds?: number): FakeObject | undefined;
}
