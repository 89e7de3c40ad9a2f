/**
 * Admission the double can enforce: the ServiceAccount plugin refuses pods whose
 * serviceAccountName does not exist (off unless `requireServiceAccounts`). On a real cluster a Job
 * whose pods are refused sits with no pods and Warning FailedCreate events.
 */
import type { Ctx } from './context.ts';
import type { FakeObject } from './types.ts';
import { failure, StatusError } from './status.ts';

export function admitPod(ctx: Ctx, pod: FakeObject): StatusError | undefined {
  if (!ctx.opts.requireServiceAccounts) return undefined;
  const ns = pod.metadata.namespace!;
  const sa = pod.spec?.serviceAccountName ?? 'default';
  if (ctx.store.has('serviceaccounts', ns, sa)) return undefined;
  const message = `pods "${pod.metadata.name}" is forbidden: error looking up service account ${ns}/${sa}: serviceaccount "${sa}" not found`;
  return new StatusError(failure(403, 'Forbidden', message, { name: pod.metadata.name, kind: 'pods' }));
}
