import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Gemm, type Mat } from '../lib/train/wasm-gemm.ts';
import { initBackend } from '../lib/train/backend.ts';
import { Mlp } from '../lib/train/mlp.ts';
import { validateModelConfig, type Activation } from '../lib/train/config.ts';
import type { Batch } from '../lib/train/mlp.ts';

/** op(A)·B the obvious way, in float64. */
function reference(f: Float32Array, a: Mat, b: Mat, m: number, k: number, n: number, transA: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (transA ? f[a.at + p * a.cols + i] : f[a.at + i * a.cols + p]) * f[b.at + p * b.cols + j];
      out.push(s);
    }
  }
  return out;
}

// Shapes that hit every tile (4×8, 4×4, 1×8, 1×4) and the JS column edge, with k of 1 (outer
// products) too, and k over the transposed products' chunk (128) with a short last chunk.
for (const [m, k, n] of [[1, 1, 1], [3, 7, 5], [4, 1, 8], [9, 18, 13], [18, 33, 1], [37, 64, 32], [16, 5, 44], [6, 300, 12]]) {
  for (const transA of [false, true]) {
    test(`multiplies ${m}×${k} by ${k}×${n} like the definition (A${transA ? ' transposed' : ''}, assign and accumulate)`, () => {
      const g = new Gemm();
      // A row stride wider than the rows used, as when a batch is shorter than its buffers.
      const a = transA ? g.alloc(k, m + 3) : g.alloc(m, k + 1);
      const b = g.alloc(k, n);
      const c = g.alloc(m, n);
      const f = g.f32;
      for (let i = 0; i < a.rows * a.cols; i++) f[a.at + i] = Math.sin(1 + i * 0.37);
      for (let i = 0; i < b.rows * b.cols; i++) f[b.at + i] = Math.cos(i * 0.11);
      f.fill(123, c.at, c.at + m * n);
      const want = reference(f, a, b, m, k, n, transA);
      g.mul(c, a, b, m, k, transA);
      for (let i = 0; i < m * n; i++) assert.ok(Math.abs(f[c.at + i] - want[i]) < 1e-5 * Math.max(1, k), `assign ${i}: ${f[c.at + i]} vs ${want[i]}`);
      g.mul(c, a, b, m, k, transA, true);
      for (let i = 0; i < m * n; i++) assert.ok(Math.abs(f[c.at + i] - 2 * want[i]) < 2e-5 * Math.max(1, k), `accumulate ${i}: ${f[c.at + i]} vs ${2 * want[i]}`);
    });
  }
}

test('adds a bias row and applies relu and its derivative, every column included', () => {
  const g = new Gemm();
  const m = g.alloc(3, 7);
  const bias = g.alloc(1, 7);
  const d = g.alloc(3, 7);
  const f = g.f32;
  const z = Array.from({ length: 21 }, (_, i) => Math.sin(i * 0.9));
  f.set(z, m.at);
  for (let j = 0; j < 7; j++) f[bias.at + j] = 0.1 * j - 0.3;
  g.bias(m, 3, bias.at, true);
  for (let i = 0; i < 21; i++) assert.equal(f[m.at + i], Math.max(0, Math.fround(Math.fround(z[i]) + f[bias.at + (i % 7)])));
  f.fill(2, d.at, d.at + 21);
  g.reluGrad(d.at, m.at, 21);
  for (let i = 0; i < 21; i++) assert.equal(f[d.at + i], f[m.at + i] > 0 ? 2 : 0, `derivative ${i}`);
});

function batch(rows: number, features: number, seed: number): Batch {
  const x = Float32Array.from({ length: rows * features }, (_, i) => Math.sin(i * 1.3 + seed));
  const xT = new Float32Array(rows * features);
  for (let i = 0; i < rows; i++) for (let k = 0; k < features; k++) xT[k * rows + i] = x[i * features + k];
  return { rows, x, xT, y: Float32Array.from({ length: rows }, (_, i) => Math.cos(i + seed)) };
}

/** Gradients and losses of three steps from the same start and seed. */
async function steps(backend: 'wasm' | 'cpu', hidden: number[], activation: Activation, dropout: number) {
  await initBackend(backend);
  const m = new Mlp(11, validateModelConfig({ hidden, activation, dropout, seed: 4 }));
  assert.equal(m.route, backend === 'wasm' ? 'wasm-kernels' : 'tfjs-ops');
  try {
    return [37, 37, 20].map((rows, s) => m.gradient(batch(rows, 11, s)));
  } finally {
    m.dispose();
  }
}

// The wasm backend takes the kernel route, the cpu backend tfjs ops: the two must agree, dropout
// masks included (same seeded stream, drawn in the same order), on tiles and their edges.
for (const [activation, dropout] of [['relu', 0], ['tanh', 0], ['elu', 0], ['relu', 0.3]] as const) {
  test(`the wasm kernels give the tfjs ops' gradients (${activation}${dropout ? ', dropout' : ''})`, async () => {
    const hidden = [16, 9];
    const ours = await steps('wasm', hidden, activation, dropout);
    const theirs = await steps('cpu', hidden, activation, dropout);
    for (let s = 0; s < ours.length; s++) {
      assert.ok(Math.abs(ours[s].loss - theirs[s].loss) < 1e-5, `step ${s} loss ${ours[s].loss} vs ${theirs[s].loss}`);
      for (let i = 0; i < ours[s].grad.length; i++) {
        assert.ok(Math.abs(ours[s].grad[i] - theirs[s].grad[i]) < 1e-5, `step ${s} param ${i}: ${ours[s].grad[i]} vs ${theirs[s].grad[i]}`);
      }
    }
  });
}
