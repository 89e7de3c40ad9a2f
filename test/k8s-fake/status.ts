/**
 * metav1.Status bodies with the apiserver's own wording, so that code parsing ApiException.body
 * against the double parses real clusters' errors the same way.
 */
import type { ResourceInfo } from './resources.ts';
import { qualifiedName } from './resources.ts';

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: Record<string, unknown>;
  code: number;
}

/** Thrown inside handlers; the router answers with its Status. */
export class StatusError extends Error {
  readonly status: StatusBody;
  readonly headers: Record<string, string>;
  constructor(status: StatusBody, headers: Record<string, string> = {}) {
    super(status.message);
    this.status = status;
    this.headers = headers;
  }
}

export function failure(code: number, reason: string, message: string, details?: Record<string, unknown>): StatusBody {
  const s: StatusBody = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) s.details = details;
  return s;
}

function groupDetails(r: ResourceInfo, name?: string): Record<string, unknown> {
  const d: Record<string, unknown> = {};
  if (name !== undefined) d.name = name;
  if (r.group) d.group = r.group;
  d.kind = r.plural;
  return d;
}

export function notFound(r: ResourceInfo, name: string): StatusError {
  return new StatusError(failure(404, 'NotFound', `${qualifiedName(r)} "${name}" not found`, groupDetails(r, name)));
}

export function alreadyExists(r: ResourceInfo, name: string): StatusError {
  return new StatusError(failure(409, 'AlreadyExists', `${qualifiedName(r)} "${name}" already exists`, groupDetails(r, name)));
}

export function conflict(r: ResourceInfo, name: string): StatusError {
  return new StatusError(failure(409, 'Conflict',
    `Operation cannot be fulfilled on ${qualifiedName(r)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    groupDetails(r, name)));
}

export function forbidden(r: ResourceInfo, verb: string, user: string, namespace?: string, name?: string, subresource?: string): StatusError {
  const what = name !== undefined ? `${qualifiedName(r)} "${name}"` : qualifiedName(r);
  const res = subresource ? `${r.plural}/${subresource}` : r.plural;
  const where = namespace ? ` in the namespace "${namespace}"` : ' at the cluster scope';
  const message = `${what} is forbidden: User "${user}" cannot ${verb} resource "${res}" in API group "${r.group}"${where}`;
  return new StatusError(failure(403, 'Forbidden', message, groupDetails(r, name)));
}

export interface FieldError {
  field: string;
  /** metav1.CauseType, e.g. FieldValueRequired, FieldValueInvalid, FieldValueNotSupported. */
  type: 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueNotSupported' | 'FieldValueForbidden';
  /** Text after "<field>: " (e.g. 'Required value', 'Invalid value: 3: must be …'). */
  detail: string;
}

/** 422 Invalid, worded like apimachinery's NewInvalid: one cause per field error. */
export function invalid(kind: string, group: string, name: string, errors: FieldError[]): StatusError {
  const qualified = group ? `${kind}.${group}` : kind;
  const parts = errors.map((e) => `${e.field}: ${e.detail}`);
  const list = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  const details: Record<string, unknown> = { name };
  if (group) details.group = group;
  details.kind = kind;
  details.causes = errors.map((e) => ({ reason: e.type, message: e.detail, field: e.field }));
  return new StatusError(failure(422, 'Invalid', `${qualified} "${name}" is invalid: ${list}`, details));
}

export function badRequest(message: string): StatusError {
  return new StatusError(failure(400, 'BadRequest', message));
}

export function methodNotAllowed(): StatusError {
  return new StatusError(failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'));
}

export function unauthorized(): StatusError {
  return new StatusError(failure(401, 'Unauthorized', 'Unauthorized'));
}

export function pathNotFound(): StatusError {
  return new StatusError(failure(404, 'NotFound', 'the server could not find the requested resource', {}));
}

/** The Status inside a watch ERROR event for a resourceVersion older than the watch cache. */
export function tooOld(requested: string, oldest: number): StatusBody {
  return failure(410, 'Expired', `too old resource version: ${requested} (${oldest})`);
}

/** Success Status that DELETE returns for kinds that do not return the deleted object. */
export function deleted(r: ResourceInfo, name: string, uid: string): StatusBody {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { ...groupDetails(r, name), uid }, code: 200 } as StatusBody;
}
