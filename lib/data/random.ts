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

/** Ziggurat tables for the standard normal: 128 layers of equal area, values from 25-bit integers. */
const ZIG_R = 3.442619855899;
const ZIG = ((): { k: Float64Array; w: Float64Array; f: Float64Array } => {
  const m = 2 ** 24;
  const v = 9.91256303526217e-3;
  const k = new Float64Array(128);
  const w = new Float64Array(128);
  const f = new Float64Array(128);
  let dn = ZIG_R;
  let tn = dn;
  const q = v / Math.exp(-0.5 * dn * dn);
  k[0] = (dn / q) * m;
  k[1] = 0;
  w[0] = q / m;
  w[127] = dn / m;
  f[0] = 1;
  f[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(v / dn + Math.exp(-0.5 * dn * dn)));
    k[i + 1] = (dn / tn) * m;
    tn = dn;
    f[i] = Math.exp(-0.5 * dn * dn);
    w[i] = dn / m;
  }
  return { k, w, f };
})();

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
  // The state lives in an Int32Array: 32-bit words held in closure variables would not fit V8's
  // 31-bit small integers and be boxed on every step.
  const st = new Int32Array(4);
  st[0] = mix32(lo ^ 0x9e3779b9);
  st[1] = mix32(hi ^ mix32(stream + 0x7f4a7c15));
  st[2] = mix32((index >>> 0) ^ 0x6a09e667);
  st[3] = mix32(st[0] ^ st[1] ^ st[2] ^ Math.floor(index / 4294967296));
  // sfc32: passes PractRand at this size and needs only 32-bit integer ops; the same ops give
  // the same numbers on every platform.
  const next = (): number => {
    const a = st[0];
    const b = st[1];
    const c = st[2];
    const d = st[3];
    const t = (((a + b) | 0) + d) | 0;
    st[3] = (d + 1) | 0;
    st[0] = b ^ (b >>> 9);
    st[1] = (c + (c << 3)) | 0;
    st[2] = (((c << 21) | (c >>> 11)) + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) next();
  const uniform = (): number => (next() + 0.5) / 4294967296;
  return {
    uniform,
    normal(): number {
      // Ziggurat (Marsaglia & Tsang): one 32-bit draw and a table look-up for 98% of the values.
      // The low 7 bits pick the layer and the other 25 the value, so they are independent.
      for (;;) {
        const bits = next();
        const layer = bits & 127;
        const hz = (bits | 0) >> 7; // signed, |hz| < 2^24
        const x = hz * ZIG.w[layer];
        if (Math.abs(hz) < ZIG.k[layer]) return x;
        if (layer === 0) {
          // The tail beyond R, by Marsaglia's exponential method.
          let tx: number;
          let ty: number;
          do {
            tx = -Math.log(uniform()) / ZIG_R;
            ty = -Math.log(uniform());
          } while (ty + ty < tx * tx);
          return hz > 0 ? ZIG_R + tx : -ZIG_R - tx;
        }
        if (ZIG.f[layer] + uniform() * (ZIG.f[layer - 1] - ZIG.f[layer]) < Math.exp(-0.5 * x * x)) return x;
      }
    },
  };
}
