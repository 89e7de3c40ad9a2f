/**
 * Speed fixes for @tensorflow/tfjs-backend-wasm 4.x kernels, applied once when the wasm
 * backend is chosen. Each replaces a kernel registration with one that computes the same
 * values faster; tests compare the patched kernels with the cpu backend.
 *
 * - Slice: the stock kernel copies the WHOLE input out of the wasm heap (`readSync`) before
 *   taking a contiguous piece, so slicing 256 values out of a 74k-parameter vector costs as
 *   much as copying the vector, plus garbage. Here a contiguous slice reads a view of the heap.
 */
import { tf } from './tf.ts';

interface WasmTensorInfo {
  dataId: object;
  shape: number[];
  dtype: string;
}

interface WasmBackendLike {
  typedArrayFromHeap(t: WasmTensorInfo): Float32Array | Int32Array | Uint8Array;
  makeOutput(shape: number[], dtype: string): WasmTensorInfo;
}

let patched = false;

/** Installs the faster wasm kernels (idempotent; a no-op when the wasm backend is not registered). */
export function patchWasmKernels(): void {
  if (patched || tf.findBackend('wasm') === null) return;
  const original = tf.getKernel('Slice', 'wasm');
  if (!original) return;
  patched = true;
  const fallback = original.kernelFunc;
  tf.unregisterKernel('Slice', 'wasm');
  tf.registerKernel({
    ...original,
    kernelFunc: (args) => {
      const { inputs, attrs, backend } = args as unknown as {
        inputs: { x: WasmTensorInfo };
        attrs: { begin: number | number[]; size: number | number[] };
        backend: WasmBackendLike;
      };
      const x = inputs.x;
      if (x.dtype === 'string') return fallback(args);
      const [begin, size] = tf.slice_util.parseSliceParams(x as unknown as tf.TensorInfo, attrs.begin, attrs.size);
      if (!tf.slice_util.isSliceContinous(x.shape, begin, size)) return fallback(args);
      const offset = tf.slice_util.computeFlatOffset(begin, tf.util.computeStrides(x.shape));
      const length = tf.util.sizeFromShape(size);
      const out = backend.makeOutput(size, x.dtype);
      // The input view must be taken after makeOutput: allocating may grow (and move) the heap.
      const src = backend.typedArrayFromHeap(x);
      backend.typedArrayFromHeap(out).set(src.subarray(offset, offset + length));
      return out as unknown as tf.TensorInfo;
    },
  });
}
