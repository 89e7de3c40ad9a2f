/**
 * Names, labels and annotations every caplab object carries. `app.kubernetes.io/*` are the
 * well-known labels tools group by; `caplab.dev/*` let caplab find its own objects again.
 */
import { CaplabError } from '../errors.ts';
import { CAPLAB_VERSION } from '../version.ts';

export const LABEL = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  component: 'app.kubernetes.io/component',
  partOf: 'app.kubernetes.io/part-of',
  managedBy: 'app.kubernetes.io/managed-by',
  version: 'app.kubernetes.io/version',
  experiment: 'caplab.dev/experiment',
  job: 'caplab.dev/job',
} as const;

export const ANNOTATION = {
  specHash: 'caplab.dev/spec-hash',
  specCount: 'caplab.dev/spec-count',
  specIds: 'caplab.dev/spec-ids-hash',
  /** The index annotation the Job controller puts on each pod of an Indexed Job. */
  completionIndex: 'batch.kubernetes.io/job-completion-index',
} as const;

/** The labels on every object caplab makes; `component` says which part (worker, rbac, storage…). */
export function commonLabels(component: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    [LABEL.name]: 'caplab',
    [LABEL.component]: component,
    [LABEL.partOf]: 'caplab',
    [LABEL.managedBy]: 'caplab',
    [LABEL.version]: CAPLAB_VERSION,
    ...extra,
  };
}

/** Lower-case DNS-1123 label text from any id: "Grid Search #3" → "grid-search-3". */
export function slug(text: string, max = 63): string {
  const s = text.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-+/, '');
  return s.slice(0, max).replace(/-+$/, '') || 'x';
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Checks a DNS-1123 label (names of Jobs, ConfigMaps, namespaces); throws naming field and rule. */
export function checkDnsLabel(field: string, value: string, max = 63): void {
  if (value.length > max || !DNS_LABEL.test(value)) {
    throw new CaplabError('bad-name', `${field} "${value}" is not a valid Kubernetes name.`, {
      hint: `Use at most ${max} lower-case letters, digits and '-', starting and ending with a letter or digit.`,
    });
  }
}

/** A label value caplab can put on objects: at most 63 chars of [A-Za-z0-9-_.]. */
export function labelValue(text: string): string {
  const v = text.replace(/[^A-Za-z0-9-_.]+/g, '-').slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return LABEL_VALUE.test(v) ? v : 'x';
}
