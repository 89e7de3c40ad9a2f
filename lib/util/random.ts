/**
 * caplab's one source of seeded randomness, for data generation and for training alike.
 *
 * Every stream is named by a key (seed, stream id, index) and starts from the same seeding: the
 * key's words, each spread by murmur3's finaliser, fill an sfc32 state that is then stepped 12
 * times. Stream ids come from one table, `STREAM`, with the data ids and the training ids in
 * disjoint ranges; for a seed below 2^32 the seeding maps distinct keys to distinct starting
 * states, so no data stream and no training stream ever start alike, and none shares another's
 * numbers. Any ticker or rank can draw its stream on its own, in any order, on any machine, and
 * get the same numbers: only 32-bit integer operations are used.
 *
 * Two walks over a seeded state, chosen by what the stream must do:
 * - `seededRng` walks sfc32 itself (128-bit state, long streams, uniforms and fast normals):
 *   the market simulator and samplers, which never pause half-way.
 * - `seededUniform` walks mulberry32 from a 32-bit state drawn from the seeded sfc32 state. A
 *   training checkpoint stores each stream as that one unsigned 32-bit integer (`state()` /
 *   `restore()`), so a resumed run continues the very sequence. All such streams lie on one
 *   cycle of 2^32 numbers, at starting points the seeding spreads: a stream of L draws runs into
 *   another's start with odds about L / 2^32 — small for shuffles and weight init, and the reason
 *   long data streams walk sfc32 instead. The random search samples with the same walk, from its
 *   seed as the state (`uniformFromState`), so a seed keeps naming the trials it always named.
 */

/** murmur3's finaliser: spreads every input bit over the whole 32-bit word (a bijection). */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * Stream ids, one table for the whole program. Data streams: the market factor, the sector
 * factors (index: sector), each ticker (index: ticker id), samplers. Training streams (0x100 +):
 * weight init, row shuffling (index: rank), dropout masks, streamed shard order.
 */
export const STREAM = {
  market: 1,
  sector: 2,
  ticker: 3,
  sample: 4,
  init: 0x101,
  shuffle: 0x102,
  dropout: 0x103,
  shardOrder: 0x104,
} as const;

type DataStreamName = 'market' | 'sector' | 'ticker' | 'sample';
type TrainStreamName = 'init' | 'shuffle' | 'dropout' | 'shardOrder';
/** The id of a data-generation stream. */
export type DataStream = (typeof STREAM)[DataStreamName];
/** The id of a training stream. */
export type TrainStream = (typeof STREAM)[TrainStreamName];

/** The training streams' ids by name. */
export const TRAIN_STREAM: { readonly [K in TrainStreamName]: (typeof STREAM)[K] } = {
  init: STREAM.init,
  shuffle: STREAM.shuffle,
  dropout: STREAM.dropout,
  shardOrder: STREAM.shardOrder,
};

/**
 * The seeded sfc32 generator for one key, as a function returning the next unsigned 32-bit word.
 * `seed` is a non-negative safe integer; both of its 32-bit halves feed the state.
 */
function sfc32(seed: number, stream: number, index: number): () => number {
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
  return next;
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

export interface Rng {
  /** Uniform in (0, 1), never exactly 0 or 1. */
  uniform(): number;
  /** Standard normal. */
  normal(): number;
}

/** A data-generation stream: sfc32 for (seed, stream, index). */
export function seededRng(seed: number, stream: DataStream, index = 0): Rng {
  const next = sfc32(seed, stream, index);
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

/**
 * A seeded generator of uniform numbers in [0, 1) whose whole state is one 32-bit integer, so a
 * checkpoint can save it and a resumed run continue the very same sequence.
 */
export interface RandomStream {
  (): number;
  /** The current state (an unsigned 32-bit integer). */
  state(): number;
  /** Continues from a state `state()` returned. */
  restore(state: number): void;
}

/** A training stream for (seed, stream, index): mulberry32 from a state the sfc32 seeding draws. */
export function seededUniform(seed: number, stream: TrainStream, index = 0): RandomStream {
  return uniformFromState(sfc32(seed, stream, index)());
}

/**
 * The mulberry32 walk from a given 32-bit state, not through the keyed seeding: what a restored
 * stream is, and the random search's sampler, whose seed has always been its state (so a seed
 * names the same trials it named before, and stored searches resume onto them).
 */
export function uniformFromState(state: number): RandomStream {
  let s = 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const stream = Object.assign(next, {
    state: () => s >>> 0,
    restore(state: number): void {
      if (!Number.isInteger(state) || state < 0 || state > 0xffffffff) throw new RangeError(`random state ${state} is not an unsigned 32-bit integer`);
      s = state | 0;
    },
  });
  stream.restore(state >>> 0);
  return stream;
}
