/**
 * `caplab cluster check`: can caplab run here, and if not, what to do. Asks the API what a person
 * would ask: which cluster, which version, what nodes, is the namespace/PVC there, and may I do
 * each thing caplab does (SelfSubjectAccessReview per verb). Never throws for a gap: it reports.
 */
import { CAPLAB_PERMISSIONS } from './objects/rbac.ts';
import { DATA_CLAIM } from './objects/pvc.ts';
import { apiStatus, isUnreachable } from './api-error.ts';
import { kubeconfigSource, loadKube, type Kube, type KubeOptions } from './kube.ts';
import { parseQuantity } from '../util/quantity.ts';
import { formatBytes } from '../util/format.ts';
import type { V1Node } from './vendor.ts';
import { withDefaults } from '../util/defaults.ts';

export interface ClusterCheckOptions extends KubeOptions {
  /** Give up on an unreachable server after this long. Default 5000 ms. */
  timeoutMs?: number;
}

export interface NodeCapacity {
  name: string;
  ready: boolean;
  /** Allocatable CPU in cores. */
  cpu: number;
  /** Allocatable memory in bytes. */
  memoryBytes: number;
  roles: string[];
}

export interface PermissionCheck {
  resource: string;
  verb: string;
  /** null when the server did not answer the access review. */
  allowed: boolean | null;
  why: string;
  optional: boolean;
}

export interface ClusterGap {
  problem: string;
  fix: string;
}

export interface ClusterCheckReport {
  /** Reachable, namespace there, every required permission granted. */
  ok: boolean;
  reachable: boolean;
  kubeconfig: string | null;
  context?: string;
  server?: string;
  namespace: string;
  serverVersion?: string;
  nodes: NodeCapacity[];
  /** False when listing nodes was not allowed (nodes is then empty, not "no nodes"). */
  nodesVisible: boolean;
  namespaceExists?: boolean;
  pvc?: { name: string; exists: boolean; phase?: string; accessModes?: string[]; capacity?: string };
  permissions: PermissionCheck[];
  gaps: ClusterGap[];
  error?: string;
}

const defaults = { timeoutMs: 5000 };

export async function clusterCheck(options: ClusterCheckOptions = {}): Promise<ClusterCheckReport> {
  const o = withDefaults(defaults, options);
  const report: ClusterCheckReport = {
    ok: false, reachable: false, kubeconfig: kubeconfigSource(o), namespace: o.namespace ?? process.env.CAPLAB_NAMESPACE ?? 'caplab',
    nodes: [], nodesVisible: false, permissions: [], gaps: [],
  };
  let kube: Kube;
  try {
    kube = await loadKube(o);
  } catch (e) {
    report.error = (e as Error).message;
    report.gaps.push({ problem: (e as { message: string }).message.split('\n')[0], fix: (e as { hint?: string }).hint ?? 'Fix the kubeconfig and run `caplab cluster check` again.' });
    return report;
  }
  Object.assign(report, { context: kube.context, server: kube.server, namespace: kube.namespace });
  try {
    const v = await withTimeout(kube.version.getCode(), o.timeoutMs, `no answer from ${kube.server} within ${o.timeoutMs} ms`);
    report.serverVersion = v.gitVersion;
    report.reachable = true;
  } catch (e) {
    const st = apiStatus(e);
    if (st && st.code !== 404) report.reachable = true;
    report.error = st ? `${st.code} ${st.message}` : (e as Error).message;
    if (!report.reachable) {
      report.gaps.push({
        problem: `The API server ${kube.server} (context ${kube.context}) is not reachable: ${report.error}.`,
        fix: isUnreachable(e) || !st ? 'Start the cluster (e.g. `kind create cluster`), check VPN/network, or pick another --context.' : 'Check your credentials with `kubectl get ns`.',
      });
      return report;
    }
  }
  const [nodes, ns, pvc, permissions] = await Promise.all([
    listNodes(kube),
    exists(() => kube.core.readNamespace({ name: kube.namespace })),
    kube.core.readNamespacedPersistentVolumeClaim({ name: DATA_CLAIM, namespace: kube.namespace }).then((p) => ({ ok: true as const, p }), (e) => ({ ok: false as const, e })),
    checkPermissions(kube),
  ]);
  report.nodes = nodes.nodes;
  report.nodesVisible = nodes.visible;
  report.namespaceExists = ns ?? undefined;
  report.pvc = pvc.ok
    ? { name: DATA_CLAIM, exists: true, phase: pvc.p.status?.phase, accessModes: pvc.p.spec?.accessModes, capacity: pvc.p.status?.capacity?.storage }
    : { name: DATA_CLAIM, exists: false };
  report.permissions = permissions;

  const setup = 'Run `npm run deploy` (or `kubectl apply -k k8s/`) with an admin context.';
  if (ns === false) report.gaps.push({ problem: `Namespace "${kube.namespace}" does not exist.`, fix: setup });
  if (!pvc.ok && apiStatus(pvc.e)?.code === 404) {
    report.gaps.push({ problem: `PVC ${DATA_CLAIM} is missing in ${kube.namespace} (needed only for imported data, not for synthetic data).`, fix: setup });
  }
  const denied = permissions.filter((p) => p.allowed === false && !p.optional);
  if (denied.length) {
    report.gaps.push({
      problem: `You may not: ${denied.map((p) => `${p.verb} ${p.resource}`).join(', ')} in ${kube.namespace}.`,
      fix: 'Apply k8s/rbac.yaml (part of `kubectl apply -k k8s/`) and bind the caplab-user Role to yourself: `kubectl create rolebinding caplab-me --role=caplab-user --user=YOU -n ' + kube.namespace + '`.',
    });
  }
  if (permissions.some((p) => p.allowed === null)) {
    report.gaps.push({ problem: 'The server did not answer access reviews, so permissions are unknown.', fix: 'Try `kubectl auth can-i create jobs -n ' + kube.namespace + '`.' });
  }
  if (!nodes.visible) report.gaps.push({ problem: 'Nodes are not visible to you (optional: only capacity is unknown).', fix: 'Apply the caplab-node-viewer ClusterRole in k8s/rbac.yaml.' });
  else if (nodes.nodes.length === 0) report.gaps.push({ problem: 'The cluster has no nodes: pods would wait forever.', fix: 'Add nodes (or a node pool) to the cluster.' });
  else if (!nodes.nodes.some((n) => n.ready)) report.gaps.push({ problem: 'No node is Ready.', fix: 'Check `kubectl get nodes` and the nodes\' conditions.' });
  report.ok = report.reachable && ns !== false && denied.length === 0 && (!nodes.visible || nodes.nodes.some((n) => n.ready));
  return report;
}

async function exists(read: () => Promise<unknown>): Promise<boolean | null> {
  try {
    await read();
    return true;
  } catch (e) {
    const code = apiStatus(e)?.code;
    // 403: it may exist, we just may not look; say unknown rather than missing.
    return code === 404 ? false : null;
  }
}

async function listNodes(kube: Kube): Promise<{ visible: boolean; nodes: NodeCapacity[] }> {
  try {
    const list = await kube.core.listNode();
    return { visible: true, nodes: list.items.map(nodeCapacity) };
  } catch {
    return { visible: false, nodes: [] };
  }
}

export function nodeCapacity(n: V1Node): NodeCapacity {
  const alloc = n.status?.allocatable ?? n.status?.capacity ?? {};
  const labels = n.metadata?.labels ?? {};
  return {
    name: n.metadata?.name ?? '?',
    ready: (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    cpu: parseQuantity(String(alloc.cpu ?? '0')) || 0,
    memoryBytes: parseQuantity(String(alloc.memory ?? '0')) || 0,
    roles: Object.keys(labels).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.slice('node-role.kubernetes.io/'.length)),
  };
}

async function checkPermissions(kube: Kube): Promise<PermissionCheck[]> {
  const asks = CAPLAB_PERMISSIONS.flatMap((p) => p.verbs.map((verb) => ({ p, verb })));
  return Promise.all(
    asks.map(async ({ p, verb }) => {
      const resource = p.subresource ? `${p.resource}/${p.subresource}` : p.resource;
      let allowed: boolean | null = null;
      try {
        const r = await kube.authz.createSelfSubjectAccessReview({
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SelfSubjectAccessReview',
            spec: { resourceAttributes: { group: p.group, resource: p.resource, subresource: p.subresource, verb, namespace: p.clusterScoped ? undefined : kube.namespace } },
          },
        });
        allowed = r.status?.allowed ?? null;
      } catch {
        allowed = null;
      }
      return { resource, verb, allowed, why: p.why, optional: !!p.clusterScoped };
    }),
  );
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(what)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** The report in plain words, one fact per line, each gap with what to do. */
export function formatClusterCheck(r: ClusterCheckReport): string {
  const lines: string[] = [];
  const mark = (ok: boolean | null | undefined) => (ok ? 'ok ' : ok === false ? 'NO ' : '?  ');
  lines.push(`kubeconfig: ${r.kubeconfig ?? 'none found'}`);
  if (r.context) lines.push(`context:    ${r.context} → ${r.server}`);
  lines.push(`namespace:  ${r.namespace}`);
  if (!r.reachable) {
    lines.push(`cluster:    NOT reachable${r.error ? ` (${r.error.split('\n')[0]})` : ''}`);
  } else {
    lines.push(`cluster:    reachable, Kubernetes ${r.serverVersion ?? '(version unknown)'}`);
    if (r.nodesVisible) {
      const cpu = r.nodes.reduce((s, n) => s + n.cpu, 0);
      const mem = r.nodes.reduce((s, n) => s + n.memoryBytes, 0);
      lines.push(`nodes:      ${r.nodes.length} (${r.nodes.filter((n) => n.ready).length} ready), ${fmtCores(cpu)} CPU and ${formatBytes(mem)} allocatable in total`);
      for (const n of r.nodes) lines.push(`  ${mark(n.ready)}${n.name.padEnd(28)} ${fmtCores(n.cpu).padStart(6)} CPU  ${formatBytes(n.memoryBytes).padStart(9)}${n.roles.length ? `  (${n.roles.join(', ')})` : ''}`);
    } else lines.push('nodes:      not visible to you');
    lines.push(`${mark(r.namespaceExists)}namespace ${r.namespace} ${r.namespaceExists ? 'exists' : r.namespaceExists === false ? 'is missing' : 'unknown'}`);
    if (r.pvc) lines.push(`${mark(r.pvc.exists)}PVC ${r.pvc.name} ${r.pvc.exists ? `exists (${[r.pvc.phase, r.pvc.capacity, r.pvc.accessModes?.join(',')].filter(Boolean).join(', ')})` : 'is missing'}`);
    const byRes = new Map<string, PermissionCheck[]>();
    for (const p of r.permissions) byRes.set(p.resource, [...(byRes.get(p.resource) ?? []), p]);
    for (const [res, ps] of byRes) {
      const all = ps.every((p) => p.allowed === true) ? true : ps.some((p) => p.allowed === false) ? false : null;
      const verbs = ps.map((p) => (p.allowed ? p.verb : p.allowed === false ? `!${p.verb}` : `?${p.verb}`)).join(' ');
      lines.push(`${mark(all)}may ${verbs} ${res}${ps[0].optional ? ' (optional)' : ''}`);
    }
  }
  if (r.gaps.length === 0) lines.push('\nReady: caplab can run searches on this cluster.');
  else {
    lines.push(`\n${r.gaps.length} thing${r.gaps.length > 1 ? 's' : ''} to fix:`);
    for (const g of r.gaps) lines.push(`- ${g.problem}\n  → ${g.fix}`);
  }
  return lines.join('\n');
}

function fmtCores(c: number): string {
  return Number.isInteger(c) ? String(c) : c.toFixed(2);
}
