/**
 * Where a stored run was measured, in words, from its stored provenance only: this machine, a
 * Kubernetes control plane running on this machine, or a cluster.
 * The label comes from what the run recorded, never from the machine reading it, so a result
 * copied elsewhere keeps saying where it came from.
 */
import type { Provenance } from '../provenance.ts';

/** Kubeconfig contexts of the real control plane `npm run cluster:local` starts on this machine. */
export const LOCAL_CONTROL_PLANE_PREFIX = 'caplab-local';
/** local: a process or pool here; local-control-plane: pods that were processes here; cluster: pods on a cluster's nodes. */
export type PlaceKind = 'local' | 'local-control-plane' | 'cluster';

export interface RunPlace {
  kind: PlaceKind;
  executor: Provenance['executor'];
  /** Host name (local runs) or kube context (pods). */
  host?: string;
  context?: string;
  serverVersion?: string;
  /** Distinct nodes the run's work ran on (1 for a local run). */
  nodes: number;
  /** Per process (local) or per pod (limits) resources. */
  cores: number;
  memoryBytes: number;
  podCpu?: string;
  podMemory?: string;
  caplabVersion: string;
  backend?: string;
  /** For people: "this machine (h1: 2 cores, 24 GiB)", "a real Kubernetes control plane with 3 process nodes on this machine", … */
  label: string;
}

const GiB = 1024 ** 3;

function gib(bytes: number): string {
  return `${Number((bytes / GiB).toFixed(1))} GiB`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The kind of place a kube context names. */
export function placeKindOfContext(context: string): PlaceKind {
  if (context.startsWith(LOCAL_CONTROL_PLANE_PREFIX)) return 'local-control-plane';
  return 'cluster';
}

/**
 * Where pods of a kube context run, in words: "a real Kubernetes control plane with 3 process
 * nodes on this machine" for the local control plane (never called a cluster: its times are this
 * machine's), else "cluster <context>". `nodes`: the nodes the run used, or the cluster has.
 */
export function contextPlaceLabel(context: string, nodes: number): string {
  return placeKindOfContext(context) === 'local-control-plane' ? `a real Kubernetes control plane with ${plural(nodes, 'process node')} on this machine` : `cluster ${context}`;
}

/**
 * One place for a run's provenances (one per trial or rank). Callers check first that they agree
 * (see `checkOnePlace`); this takes the first for the fields that must agree.
 */
export function placeOf(provenances: Provenance[]): RunPlace {
  const p = provenances[0];
  if (!p) throw new Error('placeOf needs at least one provenance');
  const base = {
    executor: p.executor,
    cores: p.cores,
    memoryBytes: p.totalMemoryBytes,
    caplabVersion: p.versions?.caplab ?? 'unknown',
    ...(p.backend ? { backend: p.backend } : {}),
  };
  if (p.executor !== 'kubernetes' || !p.cluster) {
    return { ...base, kind: 'local', host: p.host, nodes: 1, label: `this machine (${p.host}: ${plural(p.cores, 'core')}, ${gib(p.totalMemoryBytes)})` };
  }
  const c = p.cluster;
  const nodes = new Set(provenances.map((x) => x.cluster?.node ?? x.host)).size;
  const kind = placeKindOfContext(c.context);
  const pods = c.cpu || c.memory ? `, pods of ${c.cpu ?? '?'} CPU / ${c.memory ?? '?'}` : '';
  const version = c.serverVersion ? `Kubernetes ${c.serverVersion}, ` : '';
  const label =
    kind === 'local-control-plane'
      ? `${contextPlaceLabel(c.context, nodes)} (context ${c.context}${pods})`
      : `${contextPlaceLabel(c.context, nodes)} (${version}${plural(nodes, 'node')}${pods})`;
  return {
    ...base,
    kind,
    context: c.context,
    ...(c.serverVersion ? { serverVersion: c.serverVersion } : {}),
    nodes,
    ...(c.cpu ? { podCpu: c.cpu } : {}),
    ...(c.memory ? { podMemory: c.memory } : {}),
    label,
  };
}

/** Short column header text for a place kind: never "cluster" for something that ran here. */
export function placeKindLabel(kind: PlaceKind): string {
  return { local: 'this machine', 'local-control-plane': 'local control plane', cluster: 'cluster' }[kind];
}
