/**
 * Optimizers over ONE flat parameter vector, in plain JS. tfjs's optimizers run ~15 small
 * tensor ops per variable per step, and at small batch sizes per-op overhead, not arithmetic,
 * is what costs: one JS loop over the parameters replaces all of them, the same on every
 * backend and deterministic. Update rules and defaults follow tf.train.adam / sgd / rmsprop
 * (epsilon 1e-7, beta1 0.9, beta2 0.999, rho 0.9, no momentum), in float64 arithmetic.
 */
import type { OptimizerName } from './config.ts';

export interface FlatOptimizer {
  /** Updates `params` in place from the gradient `grad` (same length). */
  step(params: Float32Array, grad: Float32Array): void;
  /** A copy of everything the next steps depend on besides the parameters (for checkpoints). */
  state(): OptimizerState;
  /** Continues from a saved state of the same optimizer and size. */
  restore(state: OptimizerState): void;
}

/** An optimizer's state: its step count and its per-parameter slots (adam: m, v; rmsprop: the mean square; sgd: none). */
export interface OptimizerState {
  name: OptimizerName;
  steps: number;
  slots: Float64Array[];
}

function checkState(name: OptimizerName, size: number, slots: number, s: OptimizerState): void {
  if (s.name !== name || s.slots.length !== slots || s.slots.some((a) => a.length !== size) || !Number.isInteger(s.steps) || s.steps < 0) {
    throw new RangeError(`optimizer state (${s.name}, ${s.slots.length} slots of ${s.slots.map((a) => a.length).join('/')}) does not fit ${name} over ${size} parameters`);
  }
}

const EPSILON = 1e-7;

function sgd(lr: number, size: number): FlatOptimizer {
  let t = 0;
  return {
    step(params, grad) {
      t++;
      for (let i = 0; i < params.length; i++) params[i] -= lr * grad[i];
    },
    state: () => ({ name: 'sgd', steps: t, slots: [] }),
    restore(s) {
      checkState('sgd', size, 0, s);
      t = s.steps;
    },
  };
}

function adam(lr: number, size: number, beta1 = 0.9, beta2 = 0.999): FlatOptimizer {
  const m = new Float64Array(size);
  const v = new Float64Array(size);
  let t = 0;
  return {
    step(params, grad) {
      t++;
      const c1 = 1 - Math.pow(beta1, t);
      const c2 = 1 - Math.pow(beta2, t);
      for (let i = 0; i < params.length; i++) {
        const g = grad[i];
        const mi = beta1 * m[i] + (1 - beta1) * g;
        const vi = beta2 * v[i] + (1 - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        params[i] -= (lr * (mi / c1)) / (Math.sqrt(vi / c2) + EPSILON);
      }
    },
    state: () => ({ name: 'adam', steps: t, slots: [m.slice(), v.slice()] }),
    restore(s) {
      checkState('adam', size, 2, s);
      t = s.steps;
      m.set(s.slots[0]);
      v.set(s.slots[1]);
    },
  };
}

function rmsprop(lr: number, size: number, rho = 0.9): FlatOptimizer {
  const ms = new Float64Array(size);
  let t = 0;
  return {
    state: () => ({ name: 'rmsprop', steps: t, slots: [ms.slice()] }),
    restore(s) {
      checkState('rmsprop', size, 1, s);
      t = s.steps;
      ms.set(s.slots[0]);
    },
    step(params, grad) {
      t++;
      for (let i = 0; i < params.length; i++) {
        const g = grad[i];
        const s = rho * ms[i] + (1 - rho) * g * g;
        ms[i] = s;
        params[i] -= (lr * g) / Math.sqrt(s + EPSILON);
      }
    },
  };
}

export function flatOptimizer(name: OptimizerName, learningRate: number, size: number): FlatOptimizer {
  if (name === 'sgd') return sgd(learningRate, size);
  if (name === 'rmsprop') return rmsprop(learningRate, size);
  return adam(learningRate, size);
}
