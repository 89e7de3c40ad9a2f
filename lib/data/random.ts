/**
 * Seeded randomness for the synthetic market: a small, fast generator (sfc32) whose stream is
 * chosen by (seed, stream, index), so any ticker can be generated on its own, in any order, on
 * any machine, and come out bit-identical.
 */

/** murmur3's finaliser: spreads every input bit over the whole 32-bit word. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Named streams, so the market factor and ticker 0 never share random numbers. */
export const STREAM = { market: 1, sector: 2, ticker: 3, sample: 4 } as const;

export interface Rng {
  /** Uniform in (0, 1), never exactly 0 or 1. */
  uniform(): number;
  /** Standard normal. */
  normal(): number;
}

/**
 * A generator for one (seed, stream, index). `seed` is a non-negative safe integer; both of its
 * 32-bit halves feed the state.
 */
export function rng(seed: number, stream: number, index = 0): Rng {
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 4294967296) >>> 0;
  let a = mix32(lo ^ 0x9e3779b9);
  let b = mix32(hi ^ mix32(stream + 0x7f4a7c15));
  let c = mix32((index >>> 0) ^ 0x6a09e667);
  let d = mix32(a ^ b ^ c ^ Math.floor(index / 4294967296));
  // sfc32: passes PractRand at this size and needs only 32-bit integer ops, which V8 keeps in
  // registers; the same ops give the same numbers on every platform.
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) next();
  let spare = 0;
  let hasSpare = false;
  const uniform = (): number => (next() + 0.5) / 4294967296;
  return {
    uniform,
    normal(): number {
      if (hasSpare) {
        hasSpare = false;
        return spare;
      }
      // Marsaglia's polar method: two normals per accepted pair of uniforms, no trigonometry.
      let u: number;
      let v: number;
      let q: number;
      do {
        u = 2 * uniform() - 1;
        v = 2 * uniform() - 1;
        q = u * u + v * v;
      } while (q >= 1 || q === 0);
      const f = Math.sqrt((-2 * Math.log(q)) / q);
      spare = v * f;
      hasSpare = true;
      return u * f;
    },
  };
}
