/**
 * A small YAML writer for manifests (JSON-shaped data only), so printing manifests needs no
 * YAML dependency and no Kubernetes client. Strings that YAML could read as something else are
 * written JSON-quoted, which YAML reads back unchanged.
 */

/** One YAML document per object, separated by `---`. */
export function toYamlDocuments(objects: unknown[]): string {
  return objects.map((o) => toYaml(o)).join('---\n');
}

export function toYaml(value: unknown): string {
  return emit(value, 0).replace(/^\n/, '') + '\n';
}

const PLAIN = /^[A-Za-z_./][A-Za-z0-9_./-]*$/;
const RESERVED = /^(true|false|yes|no|on|off|y|n|null|~)$/i;

function scalar(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : JSON.stringify(String(v));
  if (typeof v === 'boolean') return String(v);
  const s = String(v);
  return PLAIN.test(s) && !RESERVED.test(s) ? s : JSON.stringify(s);
}

function isEmpty(v: unknown): boolean {
  return (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function emit(v: unknown, indent: number): string {
  const pad = ' '.repeat(indent);
  if (Array.isArray(v)) {
    if (v.length === 0) return ' []';
    return v
      .map((item) => {
        if (isObject(item) && !isEmpty(item)) {
          // First key on the dash line, the rest aligned under it.
          const body = emit(item, indent + 2).replace(/^\n\s*/, '');
          return `\n${pad}- ${body}`;
        }
        if (Array.isArray(item) && item.length > 0) return `\n${pad}-${emit(item, indent + 2)}`;
        return `\n${pad}- ${isEmpty(item) ? (Array.isArray(item) ? '[]' : '{}') : scalar(item)}`;
      })
      .join('');
  }
  if (isObject(v)) {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined);
    if (entries.length === 0) return ' {}';
    return entries
      .map(([k, x]) => {
        const key = scalar(k);
        if (isEmpty(x)) return `\n${pad}${key}: ${Array.isArray(x) ? '[]' : '{}'}`;
        if (Array.isArray(x)) return `\n${pad}${key}:${emit(x, indent)}`;
        if (isObject(x)) return `\n${pad}${key}:${emit(x, indent + 2)}`;
        return `\n${pad}${key}: ${scalar(x)}`;
      })
      .join('');
  }
  return ` ${scalar(v)}`;
}
