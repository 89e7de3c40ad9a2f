/**
 * The one parser for memory and CPU amounts, for the probe's budget, pod plans and manifests.
 * Kubernetes quantity rules (`512Mi`, `2Gi`, `1G`, `500m` CPU), plus the spelled-out binary and
 * decimal units people type for budgets (`512MiB`, `8GB`, `8 gib`). Anything a reader could take
 * two ways is refused with a hint rather than guessed: `512m` is 0.512 bytes to Kubernetes (milli)
 * and 512 MB to many people.
 */
import { CaplabError } from '../errors.ts';

const KiB = 1024;
const MiB = KiB * 1024;

const SUFFIX: Record<string, number> = {
  '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, Pi: 1024 ** 5, Ei: 1024 ** 6,
};

/** A Kubernetes quantity ("500m", "1.5", "512Mi", "2G", "1e3") as a number of base units; NaN if malformed. */
export function parseQuantity(q: string): number {
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(m|[kMGTPE]i?|Ki)?$/.exec(q.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  if (m[2] === 'm') return n / 1000;
  return n * (SUFFIX[m[2] ?? ''] ?? NaN);
}

/** Memory units, spelled out and case-insensitive (`MiB`, `gb`), besides the Kubernetes suffixes. */
const SPELLED: Record<string, number> = {
  kib: KiB, mib: MiB, gib: 1024 ** 3, tib: 1024 ** 4,
  ki: KiB, mi: MiB, gi: 1024 ** 3, ti: 1024 ** 4,
  kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12,
};

const FORMS = 'e.g. 512Mi or 512MiB (binary), 1G or 1GB (decimal), or a plain byte count';

function notMemory(field: string, text: string, hint: string): CaplabError {
  return new CaplabError('bad-bytes', `${field} "${text}" is not a memory amount.`, { hint });
}

/**
 * Bytes in a memory amount: a whole byte count, or a number with a Kubernetes suffix (`Ki Mi Gi
 * Ti Pi Ei`, `k M G T P E`) or a spelled-out unit (`KiB MiB GiB TiB`, `KB MB GB TB`, any case; a
 * space before the unit is allowed). Refused, with a hint: milli (`512m`), single letters
 * Kubernetes does not know (`8g`, `1K`), exponents (`1e9`), fractional bytes, and less than
 * `minBytes` (default 1 MiB, below which no Node.js process fits). `field` names the option in the error.
 *
 * @example parseBytes('1.5GiB') // 1610612736
 */
export function parseBytes(text: string | number, field = 'size', minBytes = MiB): number {
  if (typeof text === 'number') return checkBytes(text, String(text), field, minBytes);
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) throw notMemory(field, text, `Write a positive number with a unit, ${FORMS}.`);
  const unit = m[2];
  if (unit === 'm') {
    throw notMemory(field, text, `"m" is milli to Kubernetes (${text} would be ${Number(m[1]) / 1000} bytes): write ${m[1]}Mi (MiB) or ${m[1]}M (MB).`);
  }
  const factor = unit.length === 1 ? SUFFIX[unit] : unit === '' ? 1 : SUFFIX[unit] ?? SPELLED[unit.toLowerCase()];
  if (factor === undefined) {
    const guess = unit.length === 1 ? ` ("${unit}" is not a Kubernetes unit: did you mean ${m[1]}${unit.toUpperCase()}i (binary) or ${m[1]}${unit === 'K' ? 'k' : unit.toUpperCase()} (decimal)?)` : '';
    throw notMemory(field, text, `Write a positive number with a unit, ${FORMS}${guess}.`);
  }
  if (factor === 1 && m[1].includes('.')) {
    throw new CaplabError('bad-bytes', `${field} "${text}" is a fractional byte count.`, { hint: 'Give whole bytes, or add a unit (e.g. 1.5GiB).' });
  }
  return checkBytes(Math.round(Number(m[1]) * factor), text, field, minBytes);
}

function checkBytes(bytes: number, text: string, field: string, minBytes: number): number {
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new CaplabError('bad-bytes', `${field} "${text}" must be a positive whole number of bytes.`, { hint: `Write a positive size, ${FORMS}.` });
  }
  if (bytes < minBytes) {
    throw new CaplabError('bad-bytes', `${field} "${text}" is ${bytes} bytes, less than ${minBytes >= MiB ? `${minBytes / MiB} MiB` : `${minBytes} bytes`}.`, {
      hint: 'A memory budget must hold a Node.js process: use at least tens of MiB, e.g. 256MiB.',
    });
  }
  return bytes;
}

/** CPU cores in a CPU amount: cores (`1`, `0.5`) or millicores (`500m`); more than 0. */
export function parseCores(text: string, field = 'cpu'): number {
  const v = parseQuantity(text);
  if (!Number.isFinite(v) || v <= 0 || /[KMGTPEkig]/.test(text)) {
    throw new CaplabError('bad-quantity', `${field} "${text}" is not a CPU amount.`, {
      hint: 'Give cores ("1", "0.5") or millicores ("500m"); it must be more than 0.',
    });
  }
  return v;
}
