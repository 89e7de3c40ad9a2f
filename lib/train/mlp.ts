/**
 * The regression MLP, hand-built on TensorFlow.js ops with its backward pass written out.
 *
 * Why not tf.layers + model.fit (measured in bench/train.bench.ts): on the wasm backend a
 * matMul with transposeA/transposeB (what autodiff emits for dense-layer gradients) takes a
 * slow path 10-20× slower than a plain one, and per-op overhead (~10 µs) dominates small
 * batches. So here:
 * - every gradient matMul is a plain one, with transposes made explicit; the first layer's
 *   transposed input is built in JS while the batch is copied;
 * - bias gradients are onesᵀ·g with transposeA: for a matrix-vector product the unpacked slow
 *   path beats XNNPACK, which would first pack all of g (and a sum over axis 0 is slower still);
 * - for the one-unit output layer, gradients need no transpose at all ([I,1] and [1,I] share
 *   their memory layout) and the output gradient is computed in JS from the predictions;
 * - weights and biases live in one flat JS vector, uploaded per step, and the optimizer is a
 *   JS loop over it (optim.ts) instead of ~15 tensor ops per variable.
 * Same math as a dense stack with glorot-uniform init and zero biases (tests compare the
 * gradient with tfjs autodiff).
 *
 * On the wasm backend the gradient takes another route: wasm SIMD kernels over one memory
 * (mlp-kernels.ts, wasm-gemm.ts), which skip XNNPACK's per-call packing of a new operand, the
 * transposes and the per-op dispatch (2-5× more rows per CPU-second, 2026-12-02). The tfjs ops
 * below serve the cpu and native backends, and prediction everywhere.
 */
import { tf, type Tensor, type Tensor2D } from './tf.ts';
import type { ModelConfig } from './config.ts';
import { MlpKernels } from './mlp-kernels.ts';
import { flatOptimizer, type FlatOptimizer, type OptimizerState } from './optim.ts';
import { glorotUniform, seededUniform, TRAIN_STREAM, type RandomStream } from './rng.ts';

/** One mini-batch in reused buffers: only the first `rows` rows of each are meaningful. */
export interface Batch {
  rows: number;
  /** rows × features, row-major. */
  x: Float32Array;
  /** features × rows (x transposed), for the tfjs route's first weight gradient; may be empty (then built when needed). */
  xT: Float32Array;
  y: Float32Array;
}

interface LayerSlot {
  fanIn: number;
  fanOut: number;
  wOffset: number;
  bOffset: number;
}

/** Where each layer's weights ([in, out], row-major) and biases sit in the flat vector. */
export function mlpLayout(inputs: number, hidden: number[]): { layers: LayerSlot[]; size: number } {
  const dims = [inputs, ...hidden, 1];
  const layers: LayerSlot[] = [];
  let offset = 0;
  for (let i = 0; i + 1 < dims.length; i++) {
    const fanIn = dims[i];
    const fanOut = dims[i + 1];
    layers.push({ fanIn, fanOut, wOffset: offset, bOffset: offset + fanIn * fanOut });
    offset += fanIn * fanOut + fanOut;
  }
  return { layers, size: offset };
}

/** Seeded initial parameters: glorot-uniform weights, zero biases. */
export function initialParams(inputs: number, config: Pick<ModelConfig, 'hidden' | 'seed'>): Float32Array {
  const { layers, size } = mlpLayout(inputs, config.hidden);
  const params = new Float32Array(size);
  const random = seededUniform(config.seed, TRAIN_STREAM.init);
  for (const l of layers) glorotUniform(params.subarray(l.wOffset, l.bOffset), l.fanIn, l.fanOut, random);
  return params;
}

/**
 * One model's parameters and optimizer state (plain arrays) plus a few cached tensors.
 * Dispose it when done; every method cleans up its own intermediate tensors.
 */
export class Mlp {
  readonly inputs: number;
  readonly config: ModelConfig;
  readonly size: number;
  private readonly layers: LayerSlot[];
  private readonly params: Float32Array;
  private readonly grad: Float32Array;
  private readonly optimizer: FlatOptimizer;
  private readonly ones = new Map<number, Tensor2D>();
  private readonly scalars: { one: Tensor; zero: Tensor };
  private readonly masks: Float32Array[];
  private readonly dropoutRandom: RandomStream;
  private outGrad = new Float32Array(0);
  private xT = new Float32Array(0);
  /** The wasm-kernel route for gradients (mlp-kernels.ts), taken on the wasm backend. */
  private readonly kernels: MlpKernels | null;
  /** How gradients are computed: wasm kernels (on the wasm backend) or tfjs ops (other backends). */
  readonly route: 'wasm-kernels' | 'tfjs-ops';

  constructor(inputs: number, config: ModelConfig, initial?: Float32Array) {
    this.inputs = inputs;
    this.config = config;
    const layout = mlpLayout(inputs, config.hidden);
    this.layers = layout.layers;
    this.size = layout.size;
    const start = initial ?? initialParams(inputs, config);
    if (start.length !== this.size) throw new Error(`Mlp: ${start.length} initial parameters for a model of ${this.size}`);
    this.params = Float32Array.from(start);
    this.grad = new Float32Array(this.size);
    this.optimizer = flatOptimizer(config.optimizer, config.learningRate, this.size);
    this.scalars = { one: tf.keep(tf.scalar(1)), zero: tf.keep(tf.scalar(0)) };
    this.masks = config.dropout > 0 ? config.hidden.map(() => new Float32Array(0)) : [];
    this.dropoutRandom = seededUniform(config.seed, TRAIN_STREAM.dropout);
    this.kernels = tf.getBackend() === 'wasm' ? new MlpKernels(inputs, this.layers, this.size, config.activation, config.dropout > 0) : null;
    this.route = this.kernels ? 'wasm-kernels' : 'tfjs-ops';
  }

  /** The optimizer's state and the dropout stream's, for a checkpoint (the parameters: getParams). */
  trainingState(): { optimizer: OptimizerState; dropout: number } {
    return { optimizer: this.optimizer.state(), dropout: this.dropoutRandom.state() };
  }

  /** Continues from a checkpoint's `trainingState()`. */
  restoreTrainingState(s: { optimizer: OptimizerState; dropout: number }): void {
    this.optimizer.restore(s.optimizer);
    this.dropoutRandom.restore(s.dropout);
  }

  /** One gradient step on `batch`; returns the batch's mean squared error before the step. */
  trainStep(batch: Batch): number {
    const loss = this.computeGradient(batch);
    this.optimizer.step(this.params, this.grad);
    return loss;
  }

  /**
   * The flat gradient of the batch's MSE (for data-parallel training: average, then
   * applyGradient), written into `into` when given (e.g. a slice of a send buffer), else a copy.
   */
  gradient(batch: Batch, into?: Float32Array): { loss: number; grad: Float32Array } {
    const loss = this.computeGradient(batch);
    if (!into) return { loss, grad: Float32Array.from(this.grad) };
    into.set(this.grad);
    return { loss, grad: into };
  }

  /** One optimizer step from a flat gradient (e.g. averaged over ranks). */
  applyGradient(grad: Float32Array): void {
    if (grad.length !== this.size) throw new Error(`applyGradient: ${grad.length} values for ${this.size} parameters`);
    this.optimizer.step(this.params, grad);
  }

  /** Predictions for `rows` rows of `x` (row-major), written into `out` from `outOffset`. */
  predict(x: Float32Array, rows: number, out: Float32Array, outOffset = 0): void {
    tf.tidy(() => {
      const input = tf.tensor2d(x.subarray(0, rows * this.inputs), [rows, this.inputs]);
      out.set(this.forward(input, false).out.dataSync() as Float32Array, outOffset);
    });
  }

  /** A copy of the flat parameters (a checkpoint). */
  getParams(): Float32Array {
    return Float32Array.from(this.params);
  }

  setParams(values: Float32Array): void {
    if (values.length !== this.size) throw new Error(`setParams: ${values.length} values for ${this.size} parameters`);
    this.params.set(values);
  }

  dispose(): void {
    for (const t of this.ones.values()) t.dispose();
    this.ones.clear();
    this.scalars.one.dispose();
    this.scalars.zero.dispose();
  }

  /** Layer i's weights [in, out] and biases, uploaded from the flat vector. */
  private weights(i: number): { w: Tensor2D; b: Tensor } {
    const l = this.layers[i];
    const p = this.params;
    return { w: tf.tensor2d(p.subarray(l.wOffset, l.bOffset), [l.fanIn, l.fanOut]), b: tf.tensor1d(p.subarray(l.bOffset, l.bOffset + l.fanOut)) };
  }

  /** Forward pass. `post[i]` is hidden layer i's activation before dropout (for its derivative). */
  private forward(x: Tensor2D, training: boolean, rows = 0) {
    const { activation } = this.config;
    const fused = activation === 'tanh' ? 'linear' : activation;
    const ws: Tensor2D[] = [];
    const inputs: Tensor2D[] = [];
    const post: Tensor2D[] = [];
    const maskTensors: Tensor2D[] = [];
    let h = x;
    for (let i = 0; i < this.layers.length; i++) {
      const { w, b } = this.weights(i);
      ws.push(w);
      inputs.push(h);
      const last = i === this.layers.length - 1;
      let z = tf.fused.matMul({ a: h, b: w, bias: b, activation: last ? 'linear' : fused }) as Tensor2D;
      if (!last && activation === 'tanh') z = tf.tanh(z);
      if (!last) {
        post.push(z);
        if (training && this.config.dropout > 0) {
          const mask = this.dropoutMask(i, rows);
          maskTensors.push(mask);
          z = tf.mul(z, mask);
        }
      }
      h = z;
    }
    return { out: h, ws, inputs, post, maskTensors };
  }

  /** Inverted dropout: kept units scaled by 1/(1−p), drawn from the seeded dropout stream. */
  private dropoutMask(layer: number, rows: number): Tensor2D {
    return tf.tensor2d(this.fillMask(layer, rows), [rows, this.config.hidden[layer]]);
  }

  /** Draws hidden layer `layer`'s mask for `rows` rows (rows × units values). */
  private fillMask(layer: number, rows: number): Float32Array {
    const units = this.config.hidden[layer];
    const n = rows * units;
    if (this.masks[layer].length < n) this.masks[layer] = new Float32Array(n);
    const mask = this.masks[layer].subarray(0, n);
    const p = this.config.dropout;
    const keep = 1 / (1 - p);
    const random = this.dropoutRandom;
    for (let j = 0; j < n; j++) mask[j] = random() < p ? 0 : keep;
    return mask;
  }

  private activationDerivative(post: Tensor2D): Tensor {
    const { one, zero } = this.scalars;
    if (this.config.activation === 'relu') return tf.step(post);
    // elu: y = e^z − 1 below zero, so dy/dz = y + 1 there and 1 above.
    if (this.config.activation === 'elu') return tf.add(tf.minimum(post, zero), one);
    return tf.sub(one, tf.square(post));
  }

  private onesColumn(rows: number): Tensor2D {
    let t = this.ones.get(rows);
    if (!t) {
      // Full batches and a last partial batch per epoch (per shard when streamed) are the usual sizes.
      if (this.ones.size > 4) {
        for (const old of this.ones.values()) old.dispose();
        this.ones.clear();
      }
      t = tf.keep(tf.ones([rows, 1]) as Tensor2D);
      this.ones.set(rows, t);
    }
    return t;
  }

  /** The batch's x transposed (features × rows): its own xT, or one built here when it has none. */
  private transposedInput(batch: Batch): Float32Array {
    const n = batch.rows * this.inputs;
    if (batch.xT.length >= n) return batch.xT.subarray(0, n);
    if (this.xT.length < n) this.xT = new Float32Array(n);
    const xT = this.xT;
    const { rows, x } = batch;
    for (let i = 0; i < rows; i++) for (let k = 0; k < this.inputs; k++) xT[k * rows + i] = x[i * this.inputs + k];
    return xT.subarray(0, n);
  }

  /** Fills this.grad with the gradient of the batch's MSE; returns the MSE. */
  private computeGradient(batch: Batch): number {
    const rows = batch.rows;
    if (this.kernels) return this.kernels.gradient(this.params, batch.x, batch.y, rows, (layer, r) => this.fillMask(layer, r), this.grad) / rows;
    const inputs = this.inputs;
    const grad = this.grad;
    const n = this.layers.length;
    let sse = 0;
    tf.tidy(() => {
      const x = tf.tensor2d(batch.x.subarray(0, rows * inputs), [rows, inputs]);
      const f = this.forward(x, true, rows);
      // d(MSE)/d(out) = 2(out − y)/rows, done in JS from the predictions: no tensor ops.
      const out = f.out.dataSync();
      if (this.outGrad.length < rows) this.outGrad = new Float32Array(rows);
      const og = this.outGrad;
      let dbOut = 0;
      for (let i = 0; i < rows; i++) {
        const e = out[i] - batch.y[i];
        sse += e * e;
        og[i] = (2 * e) / rows;
        dbOut += og[i];
      }
      const last = this.layers[n - 1];
      const gRow = tf.tensor2d(og.subarray(0, rows), [1, rows]);
      // One output unit: dW = hᵀg has the layout of gᵀh, and g·Wᵀ is g·(W as a row): no transposes.
      grad.set(tf.matMul(gRow, f.inputs[n - 1]).dataSync() as Float32Array, last.wOffset);
      grad[last.bOffset] = dbOut;
      if (n === 1) return;
      const wRow = tf.reshape(f.ws[n - 1], [1, last.fanIn]) as Tensor2D;
      let dh = tf.matMul(tf.reshape(gRow, [rows, 1]) as Tensor2D, wRow);
      for (let i = n - 2; i >= 0; i--) {
        if (f.maskTensors.length > 0) dh = tf.mul(dh, f.maskTensors[i]);
        const g = tf.mul(dh, this.activationDerivative(f.post[i])) as Tensor2D;
        const l = this.layers[i];
        const inT = i === 0 ? tf.tensor2d(this.transposedInput(batch), [inputs, rows]) : tf.transpose(f.inputs[i]);
        grad.set(tf.matMul(inT, g).dataSync() as Float32Array, l.wOffset);
        grad.set(tf.matMul(this.onesColumn(rows), g, true, false).dataSync() as Float32Array, l.bOffset);
        if (i > 0) dh = tf.matMul(g, tf.transpose(f.ws[i]));
      }
    });
    return sse / rows;
  }
}
