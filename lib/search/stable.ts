/** Canonical JSON and short hashes, so ids and experiment identities do not depend on key order. */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../util/canonical.ts';

/** JSON with object keys sorted at every level. */
export const stableStringify = canonicalJson;

/** The first `length` hex digits of sha256(stableStringify(value)). */
export function stableHash(value: unknown, length = 12): string {
  return createHash('sha256').update(stableStringify(value)).digest('hex').slice(0, length);
}
