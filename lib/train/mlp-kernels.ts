/**
 * The MLP's training gradient on the wasm kernels of wasm-gemm.ts instead of tfjs ops: the
 * route Mlp takes on the wasm backend. Same math as Mlp's tfjs path (tests compare both with
 * tfjs autodiff), but no tensors: every matrix lives in one wasm memory, products read their
 * operands in place (no transposes, no packing), and the element-wise parts (bias, activation,
 * its derivative, dropout) are JS loops over the same memory. Per step this removes ~40 tfjs op
 * dispatches and their allocations too, which is what small batches paid for.
 *
 * Layout: parameters and gradient are copies of Mlp's flat vector, so a layer's weights are an
 * [in, out] matrix at its wOffset and its biases a row at its bOffset; the one-unit output layer's
 * weights, [in, 1], are read as a row [1, in].
 */
import type { Activation } from './config.ts';
import { Gemm, type Mat } from './wasm-gemm.ts';

export interface KernelLayer {
  fanIn: number;
  fanOut: number;
  wOffset: number;
  bOffset: number;
}

/** Fills and returns hidden layer `layer`'s dropout mask for `rows` rows (rows × units), or null without dropout. */
export type MaskSource = (layer: number, rows: number) => Float32Array | null;

interface Buffers {
  gemm: Gemm;
  capacity: number;
  params: Mat;
  grad: Mat;
  x: Mat;
  /** Per hidden layer: the activation (before dropout), the next layer's input (after dropout; the same Mat without), the gradient. */
  post: Mat[];
  input: Mat[];
  delta: Mat[];
  /** Per hidden layer above the first: its weights transposed, [out, in]. */
  wT: Mat[];
  outGrad: Mat;
  ones: Mat;
}

/** The one-unit output layer: z = h·w + bias per row, the squared errors, and d(MSE)/dz into `og`. */
function outputLayer(f: Float32Array, h: number, w: number, bias: number, width: number, y: Float32Array, rows: number, og: number): { sse: number; dbOut: number } {
  let sse = 0;
  let dbOut = 0;
  for (let r = 0, hr = h; r < rows; r++, hr += width) {
    let z = bias;
    for (let k = 0; k < width; k++) z += f[hr + k] * f[w + k];
    const e = z - y[r];
    sse += e * e;
    const g = (2 * e) / rows;
    f[og + r] = g;
    dbOut += g;
  }
  return { sse, dbOut };
}

/** rows × cols at `from` into cols × rows at `to`. */
function transpose(f: Float32Array, from: number, rows: number, cols: number, to: number): void {
  for (let a = 0; a < rows; a++) for (let b = 0; b < cols; b++) f[to + b * rows + a] = f[from + a * cols + b];
}

export class MlpKernels {
  private readonly layers: KernelLayer[];
  private readonly inputs: number;
  private readonly size: number;
  private readonly activation: Activation;
  private readonly dropout: boolean;
  private buffers: Buffers | undefined;

  constructor(inputs: number, layers: KernelLayer[], size: number, activation: Activation, dropout: boolean) {
    this.inputs = inputs;
    this.layers = layers;
    this.size = size;
    this.activation = activation;
    this.dropout = dropout;
  }

  /**
   * Writes the gradient of the batch's MSE with `params` into `grad` and returns the sum of
   * squared errors. `x` is rows × inputs, row-major.
   */
  gradient(params: Float32Array, x: Float32Array, y: Float32Array, rows: number, masks: MaskSource, grad: Float32Array): number {
    const B = this.buffersFor(rows);
    const { gemm } = B;
    const f = gemm.f32;
    const n = this.layers.length;
    f.set(params, B.params.at);
    f.set(x.subarray(0, rows * this.inputs), B.x.at);
    const weights = (i: number): Mat => ({ at: B.params.at + this.layers[i].wOffset, rows: this.layers[i].fanIn, cols: this.layers[i].fanOut });

    // Forward.
    const used: Array<Float32Array | null> = [];
    let h = B.x;
    for (let i = 0; i < n - 1; i++) {
      const l = this.layers[i];
      const post = B.post[i];
      gemm.mul(post, h, weights(i), rows, l.fanIn, false);
      if (this.activation === 'relu') gemm.bias(post, rows, B.params.at + l.bOffset, true);
      else {
        gemm.bias(post, rows, B.params.at + l.bOffset, false);
        this.activate(f, post.at, rows * l.fanOut);
      }
      const mask = this.dropout ? masks(i, rows) : null;
      used.push(mask);
      if (mask) {
        const to = B.input[i].at;
        const m = rows * l.fanOut;
        for (let j = 0; j < m; j++) f[to + j] = f[post.at + j] * mask[j];
      }
      h = B.input[i];
    }
    const last = this.layers[n - 1];
    // The output unit: one dot product per row (a column of width 1 is the kernels' slow edge).
    const w = B.params.at + last.wOffset;
    const bias = f[B.params.at + last.bOffset];
    const og = B.outGrad.at;
    const { sse, dbOut } = outputLayer(f, h.at, w, bias, last.fanIn, y, rows, og);

    // Backward. Output layer: dW (as a row) = ogᵀ·h, dh = og·wᵀ (an outer product).
    const outG: Mat = { at: og, rows: 1, cols: rows };
    gemm.mul({ at: B.grad.at + last.wOffset, rows: 1, cols: last.fanIn }, outG, h, 1, rows, false);
    f[B.grad.at + last.bOffset] = dbOut;
    if (n > 1) {
      gemm.mul(B.delta[n - 2], { at: og, rows, cols: 1 }, { at: w, rows: 1, cols: last.fanIn }, rows, 1, false);
    }
    for (let i = n - 2; i >= 0; i--) {
      const l = this.layers[i];
      const d = B.delta[i];
      const mask = used[i];
      if (mask) for (let j = 0, m = rows * l.fanOut; j < m; j++) f[d.at + j] *= mask[j];
      if (this.activation === 'relu') gemm.reluGrad(d.at, B.post[i].at, rows * l.fanOut);
      else this.derivative(f, d.at, B.post[i].at, rows * l.fanOut);
      const below = i === 0 ? B.x : B.input[i - 1];
      gemm.mul({ at: B.grad.at + l.wOffset, rows: l.fanIn, cols: l.fanOut }, below, d, l.fanIn, rows, true);
      gemm.mul({ at: B.grad.at + l.bOffset, rows: 1, cols: l.fanOut }, B.ones, d, 1, rows, false);
      if (i > 0) {
        const wT = B.wT[i];
        transpose(f, B.params.at + l.wOffset, l.fanIn, l.fanOut, wT.at);
        gemm.mul(B.delta[i - 1], d, wT, rows, l.fanOut, false);
      }
    }
    grad.set(f.subarray(B.grad.at, B.grad.at + this.size));
    return sse;
  }

  /** tanh or elu, in place over `count` floats at `at` (relu runs in wasm). */
  private activate(f: Float32Array, at: number, count: number): void {
    if (this.activation === 'tanh') for (let j = at; j < at + count; j++) f[j] = Math.tanh(f[j]);
    else for (let j = at; j < at + count; j++) f[j] = f[j] >= 0 ? f[j] : Math.exp(f[j]) - 1;
  }

  /** delta ← delta ⊙ act′ for tanh or elu, with act′ from the activation's output `post`. */
  private derivative(f: Float32Array, delta: number, post: number, count: number): void {
    const tanh = this.activation === 'tanh';
    for (let j = 0; j < count; j++) {
      const p = f[post + j];
      f[delta + j] *= tanh ? 1 - p * p : p < 0 ? p + 1 : 1;
    }
  }

  private buffersFor(rows: number): Buffers {
    if (this.buffers && this.buffers.capacity >= rows) return this.buffers;
    const gemm = new Gemm();
    const hidden = this.layers.slice(0, -1);
    const post = hidden.map((l) => gemm.alloc(rows, l.fanOut));
    const b: Buffers = {
      gemm, capacity: rows,
      params: gemm.alloc(1, this.size), grad: gemm.alloc(1, this.size), x: gemm.alloc(rows, this.inputs),
      post,
      input: hidden.map((l, i) => (this.dropout ? gemm.alloc(rows, l.fanOut) : post[i])),
      delta: hidden.map((l) => gemm.alloc(rows, l.fanOut)),
      wT: hidden.map((l) => gemm.alloc(l.fanOut, l.fanIn)),
      outGrad: gemm.alloc(1, rows), ones: gemm.alloc(1, rows),
    };
    b.gemm.f32.fill(1, b.ones.at, b.ones.at + rows);
    this.buffers = b;
    return b;
  }
}
