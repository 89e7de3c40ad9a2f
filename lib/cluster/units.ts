/**
 * Resource units as values, not bare strings (cdk8s-plus style): `cpu.millis(500)`,
 * `memory.mebibytes(512)`, `duration.minutes(30)`. Builders turn them into Kubernetes quantities;
 * the CLI parses `--cpu 500m --memory 1Gi` into them with lib/util/quantity.ts, the parser the
 * probe's budget uses too.
 */
import { parseBytes, parseCores, parseQuantity } from '../util/quantity.ts';

export { parseQuantity };

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

/** Parses `--cpu` ("500m", "2", "0.5"); throws naming the field and the accepted forms. */
export function parseCpu(text: string, field = 'cpu'): Cpu {
  return cpu.millis(Math.max(1, Math.round(parseCores(text, field) * 1000)));
}

/** Parses `--memory` ("512Mi", "2Gi", "1G"); throws naming the field and the accepted forms (lib/util/quantity.ts). */
export function parseMemory(text: string, field = 'memory'): Memory {
  // No floor here: the pod builder says what is too small for a worker, in its own words.
  return memory.bytes(parseBytes(text, field, 1));
}

/** Accepts a value or a string, so options can take `cpu.millis(500)` or "500m". */
export function toCpu(v: Cpu | string | number, field = 'cpu'): Cpu {
  if (typeof v === 'number') return cpu.cores(v);
  return typeof v === 'string' ? parseCpu(v, field) : v;
}

export function toMemory(v: Memory | string, field = 'memory'): Memory {
  return typeof v === 'string' ? parseMemory(v, field) : v;
}
