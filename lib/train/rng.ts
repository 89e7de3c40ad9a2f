/**
 * Training's uses of seeded randomness (shuffled orders, weight init), in plain JS so the same
 * seed gives the same numbers on every backend and platform. The streams come from
 * lib/util/random.ts, caplab's one generator.
 */

export { seededUniform, TRAIN_STREAM, type RandomStream } from '../util/random.ts';

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
