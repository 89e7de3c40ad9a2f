/** Canonical JSON and content hashes: equal content gives equal text and hashes, whatever the key order. */
import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** The first `length` hex digits (default all 64) of sha256(canonicalJson(value)): ids, Job spec hashes, experiment identities. */
export function contentHash(value: unknown, length = 64): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, length);
}
