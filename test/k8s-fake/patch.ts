/** PATCH bodies: JSON Patch (RFC 6902, the client's default) and JSON Merge Patch (RFC 7386). */
import { badRequest, StatusError, failure } from './status.ts';

function isObject(x: unknown): x is Record<string, any> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function mergePatch(target: any, patch: any): any {
  if (!isObject(patch)) return patch;
  const out: Record<string, any> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`invalid JSON Patch path: ${path}`);
  return path.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: any, parts: string[]): { parent: any; key: string } {
  let cur = doc;
  for (const p of parts.slice(0, -1)) {
    cur = Array.isArray(cur) ? cur[Number(p)] : cur?.[p];
    if (cur === undefined) throw badRequest(`the server rejected our request due to an error in our request: doc is missing path: /${parts.join('/')}`);
  }
  return { parent: cur, key: parts[parts.length - 1] };
}

function getAt(doc: any, parts: string[]): any {
  return parts.reduce((cur, p) => (cur === undefined ? undefined : Array.isArray(cur) ? cur[Number(p)] : cur[p]), doc);
}

function add(doc: any, parts: string[], value: any): any {
  if (parts.length === 0) return value;
  const { parent, key } = parentOf(doc, parts);
  if (Array.isArray(parent)) parent.splice(key === '-' ? parent.length : Number(key), 0, value);
  else parent[key] = value;
  return doc;
}

function remove(doc: any, parts: string[]): any {
  const { parent, key } = parentOf(doc, parts);
  if (Array.isArray(parent)) parent.splice(Number(key), 1);
  else {
    if (!(key in parent)) throw badRequest(`the server rejected our request due to an error in our request: unable to remove nonexistent key: ${key}`);
    delete parent[key];
  }
  return doc;
}

export function jsonPatch(doc: any, ops: any[]): any {
  if (!Array.isArray(ops)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let out = structuredClone(doc);
  for (const op of ops) {
    const parts = pointer(op.path);
    switch (op.op) {
      case 'add': out = add(out, parts, op.value); break;
      case 'remove': out = remove(out, parts); break;
      case 'replace': out = add(remove(out, parts), parts, op.value); break;
      case 'copy': out = add(out, parts, structuredClone(getAt(out, pointer(op.from)))); break;
      case 'move': {
        const v = getAt(out, pointer(op.from));
        out = add(remove(out, pointer(op.from)), parts, v);
        break;
      }
      case 'test':
        if (JSON.stringify(getAt(out, parts)) !== JSON.stringify(op.value)) {
          throw new StatusError(failure(422, 'Invalid', `the server rejected our request due to an error in our request: testing value /${parts.join('/')} failed`));
        }
        break;
      default: throw badRequest(`Unexpected kind: ${op.op}`);
    }
  }
  return out;
}

/** Applies a PATCH body by its Content-Type. Strategic merge is treated as merge (lists replace). */
export function applyPatch(doc: any, contentType: string, body: any): any {
  const ct = contentType.split(';')[0].trim().toLowerCase();
  if (ct === 'application/json-patch+json') return jsonPatch(doc, body);
  if (ct === 'application/merge-patch+json' || ct === 'application/strategic-merge-patch+json') return mergePatch(doc, body);
  throw new StatusError(failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`));
}
