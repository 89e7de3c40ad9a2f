/** Active faults, matched against pods, API requests and watches, and used up per `times`. */
import type { FakeObject, FaultSpec, PodMatch } from './types.ts';
import { forbidden, failure, StatusError } from './status.ts';
import type { ResourceInfo } from './resources.ts';

type Kind = FaultSpec['kind'];
type Of<K extends Kind> = Extract<FaultSpec, { kind: K }>;

interface Active {
  spec: FaultSpec;
  left: number;
}

export const LABEL_JOB_NAME = 'batch.kubernetes.io/job-name';
export const LABEL_INDEX = 'batch.kubernetes.io/job-completion-index';

export function podIndexOf(pod: FakeObject): number | undefined {
  const v = pod.metadata.labels?.[LABEL_INDEX] ?? pod.metadata.annotations?.[LABEL_INDEX];
  return v === undefined ? undefined : Number(v);
}

export class Faults {
  private active: Active[] = [];
  /** Pod-level faults already decided per pod uid, so re-checks of one pod stay consistent. */
  private readonly decided = new Map<string, FaultSpec | null>();
  private readonly listeners = new Set<() => void>();

  constructor(initial: FaultSpec[] = []) {
    for (const f of initial) this.add(f);
  }

  add(spec: FaultSpec): void {
    // A permission or a pod fault lasts; a flaky response or a dropped watch happens once.
    const once = spec.kind === 'status' || spec.kind === 'watch-drop' || spec.kind === 'watch-gone';
    const times = 'times' in spec && spec.times !== undefined ? spec.times : once ? 1 : Infinity;
    this.active.push({ spec, left: times });
    for (const l of [...this.listeners]) l();
  }

  clear(): void {
    this.active = [];
  }

  onAdd(fn: () => void): void {
    this.listeners.add(fn);
  }

  all<K extends Kind>(kind: K): Array<Of<K>> {
    return this.active.filter((a) => a.spec.kind === kind && a.left > 0).map((a) => a.spec as Of<K>);
  }

  private use(a: Active): void {
    a.left--;
    if (a.left <= 0) this.active = this.active.filter((x) => x !== a);
  }

  /** First fault of `kind` matching this pod (by job name and completion index), used once per pod. */
  forPod<K extends 'oom' | 'image-pull' | 'unschedulable' | 'exit' | 'disruption'>(kind: K, pod: FakeObject): Of<K> | undefined {
    const memo = `${pod.metadata.uid}/${kind}`;
    if (this.decided.has(memo)) return (this.decided.get(memo) ?? undefined) as Of<K> | undefined;
    const job = pod.metadata.labels?.[LABEL_JOB_NAME];
    const index = podIndexOf(pod);
    const a = this.active.find((x) => {
      if (x.spec.kind !== kind || x.left <= 0) return false;
      const s = x.spec as PodMatch;
      return (s.job === undefined || s.job === job) && (s.podIndex === undefined || s.podIndex === index);
    });
    this.decided.set(memo, a ? a.spec : null);
    if (!a) return undefined;
    this.use(a);
    return a.spec as Of<K>;
  }

  /** The error a 'forbidden' or 'status' fault gives this request, if any (used up once). */
  forRequest(r: ResourceInfo, verb: string, user: string, namespace?: string, name?: string, subresource?: string): StatusError | undefined {
    const a = this.active.find((x) =>
      (x.spec.kind === 'forbidden' || x.spec.kind === 'status') && x.left > 0 &&
      (x.spec.verb === '*' || x.spec.verb === verb) && (x.spec.resource === '*' || x.spec.resource === r.plural));
    if (!a) return undefined;
    this.use(a);
    const s = a.spec;
    if (s.kind === 'forbidden') return forbidden(r, verb, user, namespace, name, subresource);
    if (s.kind !== 'status') return undefined;
    const reason = s.reason ?? defaultReason(s.code);
    const headers: Record<string, string> = s.code === 429 ? { 'retry-after': '1' } : {};
    return new StatusError(failure(s.code, reason, s.message ?? defaultMessage(s.code), s.code === 429 ? { retryAfterSeconds: 1 } : undefined), headers);
  }

  /** Whether a 'forbidden' fault denies this verb on this resource (not used up). */
  denies(verb: string, resource: string): boolean {
    return this.active.some((x) => x.spec.kind === 'forbidden' && x.left > 0 &&
      (x.spec.verb === '*' || x.spec.verb === verb) && (x.spec.resource === '*' || x.spec.resource === resource));
  }

  /** Takes one watch fault of `kind` that applies to `resource`. */
  forWatch<K extends 'watch-drop' | 'watch-gone'>(kind: K, resource: string, filter: (s: Of<K>) => boolean = () => true): Of<K> | undefined {
    const a = this.active.find((x) => {
      if (x.spec.kind !== kind || x.left <= 0) return false;
      const s = x.spec as { resource?: string };
      return (s.resource === undefined || s.resource === resource) && filter(x.spec as Of<K>);
    });
    if (!a) return undefined;
    this.use(a);
    return a.spec as Of<K>;
  }

  /** Removes a specific fault (for one-shot faults handled outside, like delete-job). */
  remove(spec: FaultSpec): void {
    this.active = this.active.filter((a) => a.spec !== spec);
  }
}

function defaultReason(code: number): string {
  switch (code) {
    case 429: return 'TooManyRequests';
    case 500: return 'InternalError';
    case 503: return 'ServiceUnavailable';
    case 504: return 'Timeout';
    case 401: return 'Unauthorized';
    case 403: return 'Forbidden';
    case 404: return 'NotFound';
    case 409: return 'Conflict';
    default: return 'Unknown';
  }
}

function defaultMessage(code: number): string {
  switch (code) {
    case 429: return 'Too many requests, please try again later.';
    case 500: return 'Internal error occurred: injected by k8s-fake';
    case 503: return 'the server is currently unable to handle the request';
    default: return `injected error ${code}`;
  }
}
