import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf, type Tensor } from '../lib/train/tf.ts';
import { initBackend } from '../lib/train/backend.ts';
import { Mlp, mlpLayout, type Batch } from '../lib/train/mlp.ts';
import { flatOptimizer } from '../lib/train/optim.ts';
import { validateModelConfig, type Activation } from '../lib/train/config.ts';
import { testEachBackend, trainingBackends } from './helpers/backends.ts';

const F = 5;
const N = 7;

function batch(seed = 1): Batch {
  const x = Float32Array.from({ length: N * F }, (_, i) => Math.sin(i * 1.3 + seed));
  const xT = new Float32Array(N * F);
  for (let i = 0; i < N; i++) for (let k = 0; k < F; k++) xT[k * N + i] = x[i * F + k];
  const y = Float32Array.from({ length: N }, (_, i) => Math.cos(i + seed));
  return { rows: N, x, xT, y };
}

/** The same loss written the obvious way, differentiated by tfjs autodiff. */
function autodiffGradient(params: Float32Array, hidden: number[], activation: Activation, b: Batch): Float32Array {
  const { layers } = mlpLayout(F, hidden);
  return tf.tidy(() => {
    const g = tf.grad((theta: Tensor) => {
      let h: Tensor = tf.tensor2d(b.x, [N, F]);
      layers.forEach((l, i) => {
        const w = tf.reshape(tf.slice(theta, l.wOffset, l.fanIn * l.fanOut), [l.fanIn, l.fanOut]);
        h = tf.add(tf.matMul(h, w), tf.slice(theta, l.bOffset, l.fanOut));
        if (i < layers.length - 1) h = activation === 'relu' ? tf.relu(h) : activation === 'tanh' ? tf.tanh(h) : tf.elu(h);
      });
      return tf.mean(tf.square(tf.sub(h, tf.tensor2d(b.y, [N, 1]))));
    });
    return g(tf.tensor1d(params)).dataSync() as Float32Array;
  });
}

for (const backend of [...trainingBackends, 'cpu'] as const) {
  for (const activation of ['relu', 'tanh', 'elu'] as const) {
    test(`computes the same gradient as tfjs autodiff (${activation}, ${backend})`, async () => {
      await initBackend(backend);
      const m = new Mlp(F, validateModelConfig({ hidden: [4, 3], activation, seed: 3 }));
      try {
        const b = batch();
        const { loss, grad } = m.gradient(b);
        const auto = autodiffGradient(m.getParams(), [4, 3], activation, b);
        assert.ok(loss > 0);
        for (let i = 0; i < grad.length; i++) assert.ok(Math.abs(grad[i] - auto[i]) < 1e-5, `param ${i}: ${grad[i]} vs ${auto[i]}`);
      } finally {
        m.dispose();
      }
    });
  }
}

test('trains a linear model when there are no hidden layers', async () => {
  await initBackend('wasm');
  const m = new Mlp(F, validateModelConfig({ hidden: [], learningRate: 0.05 }));
  try {
    const b = batch();
    const first = m.trainStep(b);
    let last = first;
    for (let i = 0; i < 50; i++) last = m.trainStep(b);
    assert.ok(last < first, `${last} < ${first}`);
    assert.equal(m.size, F + 1);
  } finally {
    m.dispose();
  }
});

for (const [name, make] of [
  ['adam', (lr: number) => tf.train.adam(lr)],
  ['sgd', (lr: number) => tf.train.sgd(lr)],
  ['rmsprop', (lr: number) => tf.train.rmsprop(lr)],
] as const) {
  test(`the flat ${name} optimizer follows tf.train.${name} step for step`, async () => {
    await initBackend('cpu');
    const start = Float32Array.from({ length: 10 }, (_, i) => Math.sin(i));
    const grads = [0, 1, 2].map((s) => Float32Array.from({ length: 10 }, (_, i) => Math.cos(i * (s + 1))));
    const ours = Float32Array.from(start);
    const theirs = tf.tidy(() => tf.variable(tf.tensor1d(start)));
    const flat = flatOptimizer(name, 0.01, 10);
    const reference = make(0.01);
    for (const g of grads) {
      flat.step(ours, g);
      tf.tidy(() => reference.applyGradients([{ name: theirs.name, tensor: tf.tensor1d(g) }]));
    }
    const b = theirs.dataSync();
    for (let i = 0; i < 10; i++) assert.ok(Math.abs(ours[i] - b[i]) < 1e-6, `${name} param ${i}: ${ours[i]} vs ${b[i]}`);
    reference.dispose();
    theirs.dispose();
  });
}

test('leaks no tensors in any Mlp method', async () => {
  for (const backend of [...trainingBackends, 'cpu'] as const) {
    await initBackend(backend);
    const before = tf.memory().numTensors;
    const m = new Mlp(F, validateModelConfig({ hidden: [4, 3], dropout: 0.2, optimizer: 'adam' }));
    const b = batch();
    // One step per batch size first: each size caches its row of ones (freed by dispose).
    m.trainStep(b);
    m.trainStep({ ...b, rows: 3 });
    const during = tf.memory().numTensors;
    m.trainStep(b);
    m.trainStep({ ...b, rows: 3 });
    const { grad } = m.gradient(b);
    m.applyGradient(grad);
    m.predict(b.x, N, new Float32Array(N));
    m.setParams(m.getParams());
    assert.equal(tf.memory().numTensors, during, `${backend}: methods leave the tensor count unchanged`);
    m.dispose();
    assert.equal(tf.memory().numTensors, before, `${backend}: dispose frees everything`);
  }
});

testEachBackend('draws the same weights and dropout masks from the same seed', async (backend) => {
  await initBackend(backend);
  const run = (seed: number) => {
    const m = new Mlp(F, validateModelConfig({ hidden: [6], dropout: 0.5, seed }));
    const losses = [0, 1, 2].map(() => m.trainStep(batch()));
    const params = m.getParams();
    m.dispose();
    return { losses, params };
  };
  assert.deepEqual(run(5), run(5));
  assert.notDeepEqual(run(5).params, run(6).params);
});

test('a batch without its transposed copy gets the same gradient on every route', async () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    await initBackend(backend);
    const m = new Mlp(F, validateModelConfig({ hidden: [4, 3], seed: 3 }));
    try {
      const b = batch();
      const full = m.gradient(b).grad;
      const bare = m.gradient({ ...b, xT: new Float32Array(0) }).grad;
      assert.deepEqual(bare, full, backend);
    } finally {
      m.dispose();
    }
  }
});
