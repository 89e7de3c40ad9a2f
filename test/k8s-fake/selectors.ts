/** labelSelector and fieldSelector query parameters, parsed as the apiserver does. */
import type { FakeObject } from './types.ts';
import { badRequest } from './status.ts';

type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

export type Matcher = (obj: FakeObject) => boolean;

/** Splits on commas that are not inside parentheses ("a in (x,y),b=c"). */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((x) => x.trim()).filter((x) => x !== '');
}

function parseLabelRequirement(term: string): Requirement {
  let m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (m) return { op: m[2] as 'in' | 'notin', key: m[1], values: m[3].split(',').map((v) => v.trim()) };
  m = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(term);
  if (m) return { op: m[2] === '!=' ? 'neq' : 'eq', key: m[1], value: m[3] };
  m = /^(!?)([\w./-]+)$/.exec(term);
  if (m) return { op: m[1] ? 'notexists' : 'exists', key: m[2] };
  throw badRequest(`unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, gt, lt`);
}

export function parseLabelSelector(selector: string | null): Matcher {
  if (!selector) return () => true;
  const reqs = splitTop(selector).map(parseLabelRequirement);
  return (obj) => {
    const labels = obj.metadata.labels ?? {};
    return reqs.every((r) => {
      const has = Object.hasOwn(labels, r.key);
      const v = labels[r.key];
      switch (r.op) {
        case 'eq': return has && v === r.value;
        case 'neq': return !has || v !== r.value;
        case 'in': return has && r.values.includes(v);
        case 'notin': return !has || !r.values.includes(v);
        case 'exists': return has;
        case 'notexists': return !has;
      }
    });
  };
}

/** Reads a dotted field path ("involvedObject.name", "status.phase"). */
function fieldValue(obj: FakeObject, path: string): string {
  let cur: any = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = cur[part];
  }
  return cur === undefined || cur === null ? '' : String(cur);
}

/**
 * Field selectors: `a.b=v`, `a.b==v`, `a.b!=v`, comma-joined. Real apiservers accept only a few
 * fields per kind (metadata.name, metadata.namespace, status.phase, spec.nodeName,
 * involvedObject.*, reason, type…); the double accepts any dotted path.
 */
export function parseFieldSelector(selector: string | null): Matcher {
  if (!selector) return () => true;
  const reqs = splitTop(selector).map((term) => {
    const m = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
    return { path: m[1], neq: m[2] === '!=', value: m[3] };
  });
  return (obj) => reqs.every((r) => (fieldValue(obj, r.path) === r.value) !== r.neq);
}
