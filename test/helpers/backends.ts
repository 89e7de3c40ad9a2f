/**
 * The TensorFlow.js backends training tests run on: wasm always, and the native backend
 * (@tensorflow/tfjs-node) when it is installed (`node scripts/setup-native.ts`). An installed
 * native backend that fails to load fails its tests rather than being skipped, so a broken setup
 * shows. CAPLAB_TEST_BACKENDS=wasm (a comma list) narrows the set.
 */
import { test } from 'node:test';
import { createRequire } from 'node:module';
import type { BackendChoice } from '../../lib/train/types.ts';

export type TrainingBackend = Extract<BackendChoice, 'node' | 'wasm'>;

/** The name `tf.getBackend()` and every result report for a backend choice. */
export const BACKEND_NAME: Record<TrainingBackend | 'cpu', string> = { node: 'tensorflow', wasm: 'wasm', cpu: 'cpu' };

export const nativeInstalled: boolean = (() => {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
})();

function available(): TrainingBackend[] {
  const all: TrainingBackend[] = nativeInstalled ? ['node', 'wasm'] : ['wasm'];
  const only = process.env.CAPLAB_TEST_BACKENDS?.split(',').map((s) => s.trim()).filter(Boolean);
  return only ? all.filter((b) => only.includes(b)) : all;
}

export const trainingBackends: readonly TrainingBackend[] = available();

/** Registers `name (backend)` once per training backend, the body getting the backend. */
export function testEachBackend(name: string, body: (backend: TrainingBackend) => Promise<void> | void): void {
  for (const backend of trainingBackends) test(`${name} (${BACKEND_NAME[backend]})`, () => body(backend));
}
