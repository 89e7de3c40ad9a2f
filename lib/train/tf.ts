/**
 * The one module that imports TensorFlow.js (the "vendor" idea): everything else in caplab gets
 * `tf` from here, so the backend packages, their paths and their quirks live in one place.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as TF from '@tensorflow/tfjs';

export type Tensor = TF.Tensor;
export type Tensor1D = TF.Tensor1D;
export type Tensor2D = TF.Tensor2D;
export type Variable = TF.Variable;
export type Optimizer = TF.Optimizer;

const require = createRequire(import.meta.url);

let loaded: typeof TF | undefined;

/**
 * tfjs itself, loaded on first use: every `caplab` command imports the public API, and most
 * (data, probe parent, search parent, cluster) never train, so they should not pay tfjs's
 * start-up (~0.3 s). tfjs's main entry is CommonJS, so `require` gives the same instance the
 * backends and danfojs load.
 */
function load(): typeof TF {
  if (!loaded) {
    loaded = require('@tensorflow/tfjs') as typeof TF;
    // Production mode: skips debug checks and silences tfjs's console banners (e.g. the cpu
    // backend's "install tfjs-node" notice on its first use), which would land in CLI output.
    loaded.env().set('PROD', true);
  }
  return loaded;
}

export const tf: typeof TF = new Proxy({} as typeof TF, {
  get: (_target, key) => Reflect.get(load(), key),
  has: (_target, key) => Reflect.has(load(), key),
});

/**
 * tfjs-node 4.22.0 calls `util.isNullOrUndefined`, which Node 23 removed: every op then throws
 * "isNullOrUndefined is not a function". The fix is merged upstream but unreleased
 * (tensorflow/tfjs#8425, #8609), so it gets back the one function it needs, with Node's meaning.
 */
function restoreUtilForTfjsNode(): void {
  const util = require('node:util') as Record<string, unknown>;
  if (typeof util.isNullOrUndefined !== 'function') {
    util.isNullOrUndefined = (value: unknown) => value === null || value === undefined;
  }
}

/**
 * Loads `@tensorflow/tfjs-node` (registers the 'tensorflow' backend). It is an optional
 * dependency whose install downloads libtensorflow, so it is missing on offline machines unless
 * `node scripts/setup-native.ts` built it from TensorFlow's Python wheel.
 */
export async function loadNodeBackend(): Promise<boolean> {
  nodeFailure = undefined;
  try {
    restoreUtilForTfjsNode();
    // libtensorflow logs CPU-feature notices to stderr on load; they would land in CLI output.
    // Read by TensorFlow at its first log line, so it must be set before the import.
    process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
    // A variable specifier keeps type checkers from requiring the optional package.
    const name = '@tensorflow/tfjs-node';
    await import(name);
    return tf.findBackend('tensorflow') !== null;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    // The package missing is the ordinary offline case; anything else (its binding or
    // libtensorflow failing to load) is worth telling the user.
    const missing = err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes("'@tensorflow/tfjs-node'");
    if (!missing) nodeFailure = String(err.message ?? e).split('\n')[0];
    return false;
  }
}

let nodeFailure: string | undefined;

/** Why the last loadNodeBackend() failed when tfjs-node is installed but does not load; else undefined. */
export function nodeBackendFailure(): string | undefined {
  return nodeFailure;
}

let wasmLoaded = false;

/**
 * Registers the wasm backend with its .wasm files read from node_modules (never fetched from a
 * CDN). Returns false when the package is missing.
 */
export async function loadWasmBackend(): Promise<boolean> {
  if (wasmLoaded) return true;
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (typeof process !== 'undefined' && process.versions?.node) {
      const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
      // A folder prefix (ending in a separator): the backend appends the file it picks (simd or
      // not) and, in Node, reads it with fs rather than fetching it.
      wasm.setWasmPaths(join(dist, '/'));
    }
    wasmLoaded = true;
    return true;
  } catch {
    return false;
  }
}
