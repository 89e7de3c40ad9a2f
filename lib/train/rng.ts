/**
 * Seeded randomness for training (weight init, shuffling, dropout masks), done in plain JS so
 * the same seed gives the same numbers on every backend and platform.
 */

/** Stream ids so init, shuffling and dropout never share random numbers. */
export const TRAIN_STREAM = { init: 1, shuffle: 2, dropout: 3, shardOrder: 4 } as const;

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
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

/** A generator of uniform numbers in [0, 1) for (seed, stream, index); mulberry32 over a mixed state. */
export function seededUniform(seed: number, stream: number, index = 0): RandomStream {
  let s = mix32(mix32(seed >>> 0) ^ mix32(stream * 0x9e3779b9 + 1) ^ mix32((index >>> 0) + 0x6a09e667));
  const next = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Object.assign(next, {
    state: () => s >>> 0,
    restore(state: number) {
      if (!Number.isInteger(state) || state < 0 || state > 0xffffffff) throw new RangeError(`random state ${state} is not an unsigned 32-bit integer`);
      s = state | 0;
    },
  });
}

/** Fills `order` with a seeded permutation of 0..order.length-1 (Fisher–Yates). */
export function shuffledOrder(order: Uint32Array, random: () => number): Uint32Array {
  for (let i = 0; i < order.length; i++) order[i] = i;
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/** Glorot-uniform weights for a fanIn × fanOut matrix, written into `out`. */
export function glorotUniform(out: Float32Array, fanIn: number, fanOut: number, random: () => number): void {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  for (let i = 0; i < out.length; i++) out[i] = (random() * 2 - 1) * limit;
}
