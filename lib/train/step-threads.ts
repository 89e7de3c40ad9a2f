/**
 * One gradient step split over threads: the batch's rows are cut into shares, helper threads
 * (worker_threads, each with its own single-threaded backend) compute their shares' gradients
 * while this thread computes its own, and the shares are averaged by rows into the batch's
 * gradient, which this thread's optimizer applies.
 *
 * Why not the wasm backend's own threaded build: in Node it needs a worker script it can only
 * give as a browser blob URL; with that worked around (2026-12-02, tfjs 4.22, Node 24) it still
 * reported one thread and its matMul was ~30× slower. Splitting rows keeps each thread on the
 * fast single-threaded kernels, and the result is the same gradient up to float rounding.
 *
 * Hand-off is through SharedArrayBuffers and Atomics, with no event-loop round trip per step:
 * the step stays synchronous like Mlp.trainStep, and costs microseconds beside a big batch.
 * Small batches (under MIN_ROWS_PER_THREAD per thread) and dropout (its masks come from one
 * seeded stream) stay on this thread.
 */
import { Worker } from 'node:worker_threads';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaplabError } from '../errors.ts';
import type { ModelConfig } from './config.ts';
import type { Batch, Mlp } from './mlp.ts';

/** Fewer rows per thread than this and the hand-off costs more than it saves (bench/train.bench.ts). */
export const MIN_ROWS_PER_THREAD = 128;

/** Slots of a helper's control array. */
export const CTRL = { go: 0, done: 1, rows: 2, failed: 3 } as const;

/** What a helper thread starts from (workerData). */
export interface HelperData {
  backend: string;
  inputs: number;
  config: ModelConfig;
  ctrl: Int32Array;
  params: Float32Array;
  x: Float32Array;
  y: Float32Array;
  grad: Float32Array;
  loss: Float64Array;
}

interface Helper {
  worker: Worker;
  data: HelperData;
  rows: number;
  error?: string;
}

/** A step that stalls this long means a helper died without a word (e.g. killed). */
const STEP_TIMEOUT_MS = 10 * 60 * 1000;

const NO_XT = new Float32Array(0);

const shared = (bytes: number) => new SharedArrayBuffer(Math.max(8, bytes));

export interface StepThreadsOptions {
  /** Threads in all, this one included; 1 means no helpers. */
  threads: number;
  /** The active backend (tf.getBackend()): helpers load the same one. */
  backend: string;
  inputs: number;
  config: ModelConfig;
  /** The largest batch a step gets. */
  maxRows: number;
}

/** Helper threads for one model's steps. Close them when training ends. */
export class StepThreads {
  readonly threads: number;
  private readonly helpers: Helper[];
  private readonly params: Float32Array;
  private readonly inputs: number;
  private readonly own: Float32Array;
  private readonly sum: Float32Array;
  private seq = 0;

  private constructor(helpers: Helper[], params: Float32Array, inputs: number) {
    this.helpers = helpers;
    this.threads = helpers.length + 1;
    this.params = params;
    this.inputs = inputs;
    this.own = new Float32Array(params.length);
    this.sum = new Float32Array(params.length);
  }

  /**
   * Starts `threads − 1` helpers and waits until each has its backend and model; null when
   * there is nothing to split (one thread, or dropout on). Throws CaplabError
   * 'backend-unavailable' when a helper cannot start.
   */
  static async start(o: StepThreadsOptions, size: number): Promise<StepThreads | null> {
    if (!Number.isInteger(o.threads) || o.threads < 1) {
      throw new CaplabError('bad-config', `threads is ${JSON.stringify(o.threads)}; it must be a positive integer (threads for one training step).`);
    }
    if (o.threads === 1 || o.config.dropout > 0) return null;
    const params = new Float32Array(shared(size * 4));
    // The worker entry sits beside this file, as .ts from source and .js once built.
    const entry = new URL(`./step-thread-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);
    const helpers: Helper[] = [];
    try {
      for (let i = 1; i < o.threads; i++) {
        const data: HelperData = {
          backend: o.backend, inputs: o.inputs, config: o.config,
          ctrl: new Int32Array(shared(16)), params,
          x: new Float32Array(shared(o.maxRows * o.inputs * 4)), y: new Float32Array(shared(o.maxRows * 4)),
          grad: new Float32Array(shared(size * 4)), loss: new Float64Array(shared(8)),
        };
        const worker = new Worker(entry, { workerData: data });
        const helper: Helper = { worker, data, rows: 0 };
        helpers.push(helper);
        worker.on('error', (e) => (helper.error = e.message));
        worker.on('message', (m: { error?: string }) => {
          if (m.error) helper.error = m.error;
        });
      }
      await Promise.all(helpers.map((h) => new Promise<void>((resolve, reject) => {
        h.worker.once('message', (m: { ready?: boolean; error?: string }) => (m.ready ? resolve() : reject(new Error(m.error))));
        h.worker.once('error', reject);
        h.worker.once('exit', (code) => reject(new Error(`exited with code ${code} while starting`)));
      })));
    } catch (e) {
      await Promise.all(helpers.map((h) => h.worker.terminate()));
      throw new CaplabError('backend-unavailable', `A training thread could not start its ${o.backend} backend: ${(e as Error).message}`, {
        hint: 'Train with threads: 1.',
      });
    }
    // Helpers wait on Atomics, not on their event loop: they must not keep the process alive.
    for (const h of helpers) h.worker.unref();
    return new StepThreads(helpers, params, o.inputs);
  }

  /** One optimizer step of `mlp` on `batch`, split over the threads; returns the batch's MSE. */
  step(mlp: Mlp, batch: Batch): number {
    const rows = batch.rows;
    const n = this.threads;
    if (rows < MIN_ROWS_PER_THREAD * n) return mlp.trainStep(batch);
    const per = Math.floor(rows / n);
    const mine = rows - per * (n - 1);
    const width = this.inputs;
    this.params.set(mlp.getParams());
    const seq = ++this.seq;
    let start = mine;
    for (const h of this.helpers) {
      const d = h.data;
      d.x.set(batch.x.subarray(start * width, (start + per) * width));
      d.y.set(batch.y.subarray(start, start + per));
      h.rows = per;
      Atomics.store(d.ctrl, CTRL.rows, per);
      Atomics.store(d.ctrl, CTRL.go, seq);
      Atomics.notify(d.ctrl, CTRL.go);
      start += per;
    }
    // This thread's share: the first `mine` rows (no xT: Mlp makes one if its route needs it).
    const own = mlp.gradient({ rows: mine, x: batch.x, xT: NO_XT, y: batch.y }, this.own);
    const sum = this.sum;
    const wOwn = mine / rows;
    for (let j = 0; j < sum.length; j++) sum[j] = wOwn * own.grad[j];
    let lossSum = own.loss * mine;
    for (const h of this.helpers) {
      this.wait(h, seq);
      const g = h.data.grad;
      const w = h.rows / rows;
      for (let j = 0; j < sum.length; j++) sum[j] += w * g[j];
      lossSum += h.data.loss[0] * h.rows;
    }
    mlp.applyGradient(sum);
    return lossSum / rows;
  }

  /** Stops the helpers. */
  async close(): Promise<void> {
    for (const h of this.helpers) {
      Atomics.store(h.data.ctrl, CTRL.go, -1);
      Atomics.notify(h.data.ctrl, CTRL.go);
    }
    await Promise.all(this.helpers.map((h) => h.worker.terminate()));
  }

  private wait(h: Helper, seq: number): void {
    const ctrl = h.data.ctrl;
    const deadline = performance.now() + STEP_TIMEOUT_MS;
    for (let done = Atomics.load(ctrl, CTRL.done); done !== seq; done = Atomics.load(ctrl, CTRL.done)) {
      if (Atomics.load(ctrl, CTRL.failed) !== 0 || performance.now() > deadline) {
        throw new CaplabError('backend-unavailable', `A training thread failed in step ${seq}: ${h.error ?? (Atomics.load(ctrl, CTRL.failed) ? 'its gradient threw' : 'no answer')}.`, {
          hint: 'Train with threads: 1.',
        });
      }
      Atomics.wait(ctrl, CTRL.done, done, 1000);
    }
  }
}
