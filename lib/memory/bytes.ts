/**
 * Memory sizes as text: budgets people type (`8GiB`, `512MiB`, `8GB`), sizes we print
 * (`1.5 GiB`) and Kubernetes memory quantities for pod specs (`3Gi`, `1536Mi`).
 */
import { CaplabError } from '../errors.ts';

export { formatBytes } from '../util/format.ts';

const KiB = 1024;
const MiB = KiB * 1024;
const GiB = MiB * 1024;

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12,
  k: 1e3, m: 1e6, g: 1e9, t: 1e12,
  kib: KiB, mib: MiB, gib: GiB, tib: GiB * 1024,
  ki: KiB, mi: MiB, gi: GiB, ti: GiB * 1024,
};

/** Below this a "budget" cannot hold even an idle Node.js process. */
const MIN_BYTES = MiB;

/**
 * Parses a memory size: a plain byte count (`8589934592`), or a number with a unit: binary
 * `KiB MiB GiB TiB` (also Kubernetes' `Ki Mi Gi Ti`), decimal `KB MB GB TB` (also `K M G T`).
 * Units are case-insensitive, a space before the unit is allowed. `field` names the option in
 * the error, e.g. `--budget`.
 *
 * @example parseBytes('1.5GiB') // 1610612736
 */
export function parseBytes(text: string | number, field = 'size'): number {
  if (typeof text === 'number') return checkBytes(text, String(text), field);
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m ? UNITS[m[2].toLowerCase() || 'b'] : undefined;
  if (!m || unit === undefined) {
    throw new CaplabError('bad-bytes', `${field} "${text}" is not a memory size.`, {
      hint: 'Write a positive number with a unit, e.g. 512MiB, 8GiB, 8GB, 1.5GiB, or a plain byte count.',
    });
  }
  if (unit === 1 && m[1].includes('.')) {
    throw new CaplabError('bad-bytes', `${field} "${text}" is a fractional byte count.`, {
      hint: 'Give whole bytes, or add a unit (e.g. 1.5GiB).',
    });
  }
  return checkBytes(Math.round(Number(m[1]) * unit), text, field);
}

function checkBytes(bytes: number, text: string, field: string): number {
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new CaplabError('bad-bytes', `${field} "${text}" must be a positive whole number of bytes.`, {
      hint: 'Write a positive size, e.g. 512MiB or 8GiB.',
    });
  }
  if (bytes < MIN_BYTES) {
    throw new CaplabError('bad-bytes', `${field} "${text}" is ${bytes} bytes, less than 1 MiB.`, {
      hint: 'A memory budget must hold a Node.js process: use at least tens of MiB, e.g. 256MiB.',
    });
  }
  return bytes;
}

/**
 * A Kubernetes memory quantity for `bytes`, rounded up to a size a person would ask for: a
 * quarter of the power of two below it (512Mi steps between 2Gi and 4Gi, 64Mi steps between
 * 256Mi and 512Mi), at least 16Mi. Returns the quantity and the bytes it stands for.
 *
 * @example podMemoryQuantity(2.6 * 2 ** 30) // { quantity: '3Gi', bytes: 3221225472 }
 */
export function podMemoryQuantity(bytes: number): { quantity: string; bytes: number } {
  const step = Math.max(16 * MiB, 2 ** Math.floor(Math.log2(Math.max(1, bytes))) / 4);
  return quantityOf(Math.max(step, Math.ceil(bytes / step) * step));
}

/** The largest whole-MiB quantity not above `bytes` (a cap, e.g. the biggest pod allowed). */
export function floorMemoryQuantity(bytes: number): { quantity: string; bytes: number } {
  return quantityOf(Math.floor(bytes / MiB) * MiB);
}

function quantityOf(bytes: number): { quantity: string; bytes: number } {
  return { quantity: bytes % GiB === 0 ? `${bytes / GiB}Gi` : `${Math.round(bytes / MiB)}Mi`, bytes };
}
