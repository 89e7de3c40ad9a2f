/** Canonical JSON and short hashes, so ids and experiment identities do not depend on key order. */
import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** The first `length` hex digits of sha256(stableStringify(value)). */
export function stableHash(value: unknown, length = 12): string {
  return createHash('sha256').update(stableStringify(value)).digest('hex').slice(0, length);
}
