/**
 * Memory sizes as text: budgets people type (parsed by lib/util/quantity.ts, the one parser for
 * memory amounts), sizes we print (`1.5 GiB`) and Kubernetes memory quantities for pod plans
 * (`3Gi`, `1536Mi`).
 */
const KiB = 1024;
const MiB = KiB * 1024;
const GiB = MiB * 1024;

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
