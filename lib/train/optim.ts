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
}

const EPSILON = 1e-7;

function sgd(lr: number): FlatOptimizer {
  return {
    step(params, grad) {
      for (let i = 0; i < params.length; i++) params[i] -= lr * grad[i];
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
  };
}

function rmsprop(lr: number, size: number, rho = 0.9): FlatOptimizer {
  const ms = new Float64Array(size);
  return {
    step(params, grad) {
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
  if (name === 'sgd') return sgd(learningRate);
  if (name === 'rmsprop') return rmsprop(learningRate, size);
  return adam(learningRate, size);
}
