/**
 * Optimizers over ONE flat parameter vector. tfjs's own optimizers run ~15 small ops per
 * variable per step; with every weight and bias in one vector that is ~15 ops per step in
 * all, which is most of the difference at small batch sizes where per-op overhead dominates.
 * Update rules follow tf.train.adam / sgd / rmsprop (same defaults: epsilon 1e-7,
 * beta1 0.9, beta2 0.999, rho 0.9).
 */
import { tf, type Tensor, type Variable } from './tf.ts';
import type { OptimizerName } from './config.ts';

export interface FlatOptimizer {
  /** Updates `params` in place from the flat gradient `grad` (same length). Call inside tf.tidy. */
  apply(params: Variable, grad: Tensor): void;
  dispose(): void;
}

const EPSILON = 1e-7;

/** A zero-filled variable; the tidy disposes the temporary it is made from. */
function zeros(size: number): Variable {
  return tf.tidy(() => tf.variable(tf.zeros([size]), false));
}

function sgd(lr: number): FlatOptimizer {
  const rate = tf.keep(tf.scalar(lr));
  return {
    apply(params, grad) {
      params.assign(tf.sub(params, tf.mul(grad, rate)));
    },
    dispose: () => rate.dispose(),
  };
}

function adam(lr: number, size: number, beta1 = 0.9, beta2 = 0.999): FlatOptimizer {
  const m = zeros(size);
  const v = zeros(size);
  const oneMinusB1 = tf.keep(tf.scalar(1 - beta1));
  const oneMinusB2 = tf.keep(tf.scalar(1 - beta2));
  let t = 0;
  return {
    apply(params, grad) {
      t++;
      // m += (1-β1)(g-m) and v += (1-β2)(g²-v) are the usual moving averages with one op fewer;
      // bias correction folds into the step size and epsilon (Kingma & Ba, section 2).
      const m1 = tf.add(m, tf.mul(tf.sub(grad, m), oneMinusB1));
      const v1 = tf.add(v, tf.mul(tf.sub(tf.square(grad), v), oneMinusB2));
      const c2 = Math.sqrt(1 - Math.pow(beta2, t));
      const stepSize = (lr * c2) / (1 - Math.pow(beta1, t));
      const update = tf.div(m1, tf.add(tf.sqrt(v1), tf.scalar(EPSILON * c2)));
      params.assign(tf.sub(params, tf.mul(update, tf.scalar(stepSize))));
      m.assign(m1);
      v.assign(v1);
    },
    dispose() {
      m.dispose();
      v.dispose();
      oneMinusB1.dispose();
      oneMinusB2.dispose();
    },
  };
}

function rmsprop(lr: number, size: number, rho = 0.9): FlatOptimizer {
  const ms = zeros(size);
  const oneMinusRho = tf.keep(tf.scalar(1 - rho));
  const eps = tf.keep(tf.scalar(EPSILON));
  const rate = tf.keep(tf.scalar(lr));
  return {
    apply(params, grad) {
      const ms1 = tf.add(ms, tf.mul(tf.sub(tf.square(grad), ms), oneMinusRho));
      params.assign(tf.sub(params, tf.div(tf.mul(grad, rate), tf.sqrt(tf.add(ms1, eps)))));
      ms.assign(ms1);
    },
    dispose() {
      for (const t of [ms, oneMinusRho, eps, rate]) t.dispose();
    },
  };
}

export function flatOptimizer(name: OptimizerName, learningRate: number, size: number): FlatOptimizer {
  if (name === 'sgd') return sgd(learningRate);
  if (name === 'rmsprop') return rmsprop(learningRate, size);
  return adam(learningRate, size);
}
