/**
 * Resource units as values, not bare strings (cdk8s-plus style): `cpu.millis(500)`,
 * `memory.mebibytes(512)`, `duration.minutes(30)`. Builders turn them into Kubernetes quantities;
 * the CLI parses `--cpu 500m --memory 1Gi` into them with errors that name the flag and the rule.
 */
import { CaplabError } from '../errors.ts';

export interface Cpu {
  readonly millis: number;
}
export interface Memory {
  readonly bytes: number;
}
export interface Duration {
  readonly seconds: number;
}

const MI = 1024 * 1024;

export const cpu = {
  millis: (n: number): Cpu => ({ millis: n }),
  cores: (n: number): Cpu => ({ millis: Math.round(n * 1000) }),
};

export const memory = {
  bytes: (n: number): Memory => ({ bytes: n }),
  mebibytes: (n: number): Memory => ({ bytes: Math.round(n * MI) }),
  gibibytes: (n: number): Memory => ({ bytes: Math.round(n * 1024 * MI) }),
};

export const duration = {
  seconds: (n: number): Duration => ({ seconds: n }),
  minutes: (n: number): Duration => ({ seconds: n * 60 }),
  hours: (n: number): Duration => ({ seconds: n * 3600 }),
};

/** "500m" for half a core, "2" for two cores. */
export function cpuQuantity(c: Cpu): string {
  return c.millis % 1000 === 0 ? String(c.millis / 1000) : `${c.millis}m`;
}

/** "512Mi", "2Gi", or plain bytes when not a whole number of MiB. */
export function memoryQuantity(m: Memory): string {
  if (m.bytes % (1024 * MI) === 0) return `${m.bytes / (1024 * MI)}Gi`;
  if (m.bytes % MI === 0) return `${m.bytes / MI}Mi`;
  return String(m.bytes);
}

const SUFFIX: Record<string, number> = {
  '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, Pi: 1024 ** 5, Ei: 1024 ** 6,
};

/** A Kubernetes quantity ("500m", "1.5", "512Mi", "2G") as a number of base units; NaN if malformed. */
export function parseQuantity(q: string): number {
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(m|[kMGTPE]i?|Ki)?$/.exec(q.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  if (m[2] === 'm') return n / 1000;
  return n * (SUFFIX[m[2] ?? ''] ?? NaN);
}

/** Parses `--cpu` ("500m", "2", "0.5"); throws naming the field and the accepted forms. */
export function parseCpu(text: string, field = 'cpu'): Cpu {
  const v = parseQuantity(text);
  if (!Number.isFinite(v) || v <= 0) {
    throw new CaplabError('bad-quantity', `${field} "${text}" is not a CPU amount.`, {
      hint: `Give cores ("1", "0.5") or millicores ("500m"); it must be more than 0.`,
    });
  }
  return cpu.millis(Math.max(1, Math.round(v * 1000)));
}

/** Parses `--memory` ("512Mi", "2Gi", "1G"); throws naming the field and the accepted forms. */
export function parseMemory(text: string, field = 'memory'): Memory {
  const v = parseQuantity(text);
  if (!Number.isFinite(v) || v <= 0 || /m$/.test(text.trim())) {
    throw new CaplabError('bad-quantity', `${field} "${text}" is not a memory amount.`, {
      hint: `Give bytes with a unit, e.g. "512Mi" or "2Gi" (binary) or "1G" (decimal).`,
    });
  }
  return memory.bytes(Math.round(v));
}

/** Accepts a value or a string, so options can take `cpu.millis(500)` or "500m". */
export function toCpu(v: Cpu | string | number, field = 'cpu'): Cpu {
  if (typeof v === 'number') return cpu.cores(v);
  return typeof v === 'string' ? parseCpu(v, field) : v;
}

export function toMemory(v: Memory | string, field = 'memory'): Memory {
  return typeof v === 'string' ? parseMemory(v, field) : v;
}
