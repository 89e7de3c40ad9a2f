/**
 * Server-side printing (meta.k8s.io/v1 Table), which kubectl asks for on `get`: without it,
 * kubectl shows only NAME and AGE. Columns follow the apiserver's printers for the kinds a
 * demo watches (pods, jobs, nodes, events); others get NAME and AGE.
 */
import type { FakeObject } from './types.ts';
import type { ResourceInfo } from './resources.ts';

interface Column {
  name: string;
  type: string;
  priority?: number;
  cell: (o: FakeObject) => string | number;
}

function age(ts: string | undefined, until = Date.now()): string {
  if (!ts) return '<unknown>';
  const s = Math.max(0, Math.floor((until - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h}h` : `${Math.floor(h / 24)}d`;
}

/** kubectl's STATUS for a pod: the most telling container reason, else the phase. */
function podStatus(p: FakeObject): string {
  if (p.metadata.deletionTimestamp) return 'Terminating';
  for (const s of p.status?.containerStatuses ?? []) {
    if (s.state?.waiting?.reason && s.state.waiting.reason !== 'ContainerCreating') return s.state.waiting.reason;
    if (s.state?.terminated?.reason && p.status.phase !== 'Running') return s.state.terminated.reason;
  }
  const waiting = (p.status?.containerStatuses ?? []).find((s: any) => s.state?.waiting);
  return waiting?.state.waiting.reason ?? p.status?.phase ?? 'Pending';
}

function jobStatus(j: FakeObject): string {
  const on = (t: string) => (j.status?.conditions ?? []).some((c: any) => c.type === t && c.status === 'True');
  if (on('Complete')) return 'Complete';
  if (on('Failed')) return 'Failed';
  if (on('FailureTarget')) return 'FailureTarget';
  if (on('SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  if (on('Suspended')) return 'Suspended';
  return 'Running';
}

const NAME: Column = { name: 'Name', type: 'string', cell: (o) => o.metadata.name };
const AGE: Column = { name: 'Age', type: 'string', cell: (o) => age(o.metadata.creationTimestamp) };

const COLUMNS: Record<string, Column[]> = {
  pods: [
    NAME,
    { name: 'Ready', type: 'string', cell: (p) => `${(p.status?.containerStatuses ?? []).filter((s: any) => s.ready).length}/${(p.spec?.containers ?? []).length}` },
    { name: 'Status', type: 'string', cell: podStatus },
    { name: 'Restarts', type: 'string', cell: (p) => String((p.status?.containerStatuses ?? []).reduce((n: number, s: any) => n + (s.restartCount ?? 0), 0)) },
    AGE,
    { name: 'IP', type: 'string', priority: 1, cell: (p) => p.status?.podIP ?? '<none>' },
    { name: 'Node', type: 'string', priority: 1, cell: (p) => p.spec?.nodeName ?? '<none>' },
  ],
  jobs: [
    NAME,
    { name: 'Status', type: 'string', cell: jobStatus },
    { name: 'Completions', type: 'string', cell: (j) => `${j.status?.succeeded ?? 0}/${j.spec?.completions ?? 1}` },
    { name: 'Duration', type: 'string', cell: (j) => (j.status?.startTime ? age(j.status.startTime, j.status.completionTime ? Date.parse(j.status.completionTime) : undefined) : '') },
    AGE,
  ],
  nodes: [
    NAME,
    { name: 'Status', type: 'string', cell: () => 'Ready' },
    { name: 'Roles', type: 'string', cell: () => '<none>' },
    AGE,
    { name: 'Version', type: 'string', cell: (n) => n.status?.nodeInfo?.kubeletVersion ?? '' },
  ],
  events: [
    { name: 'Last Seen', type: 'string', cell: (e) => age(e.lastTimestamp) },
    { name: 'Type', type: 'string', cell: (e) => e.type },
    { name: 'Reason', type: 'string', cell: (e) => e.reason },
    { name: 'Object', type: 'string', cell: (e) => `${String(e.involvedObject?.kind ?? '').toLowerCase()}/${e.involvedObject?.name}` },
    { name: 'Message', type: 'string', cell: (e) => e.message },
  ],
};

export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept);
}

export function toTable(r: ResourceInfo, items: FakeObject[], resourceVersion: string): unknown {
  const cols = COLUMNS[r.plural] ?? [NAME, AGE];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: cols.map((c) => ({ name: c.name, type: c.type, format: c.name === 'Name' ? 'name' : '', description: c.name, priority: c.priority ?? 0 })),
    rows: items.map((o) => ({
      cells: cols.map((c) => c.cell(o)),
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
