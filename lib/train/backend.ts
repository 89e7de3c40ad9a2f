/** Picks the TensorFlow.js backend at run time: wasm, else native if installed, else pure JS. */
import { CaplabError } from '../errors.ts';
import { loadNodeBackend, loadWasmBackend, nodeBackendFailure, tf } from './tf.ts';
import type { BackendChoice } from './types.ts';

const CHOICES: readonly BackendChoice[] = ['auto', 'node', 'wasm', 'cpu'];

async function trySet(name: string): Promise<boolean> {
  if (tf.getBackend() === name) return true;
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

async function tryNode(): Promise<boolean> {
  return (await loadNodeBackend()) && trySet('tensorflow');
}

async function tryWasm(): Promise<boolean> {
  return (await loadWasmBackend()) && trySet('wasm');
}

/**
 * Makes `requested` the active backend and returns `tf.getBackend()` ('tensorflow', 'wasm' or
 * 'cpu'). 'auto' (the default) tries wasm, then tfjs-node, then cpu; an explicit choice that
 * cannot load throws CaplabError 'backend-unavailable'. Calling it again is cheap.
 */
export async function initBackend(requested: BackendChoice = 'auto'): Promise<string> {
  if (!CHOICES.includes(requested)) {
    throw new CaplabError('bad-config', `Backend "${String(requested)}" is unknown; it must be one of ${CHOICES.join(', ')}.`);
  }
  let ok: boolean;
  switch (requested) {
    case 'node':
      ok = await tryNode();
      if (!ok && nodeBackendFailure()) {
        throw new CaplabError('backend-unavailable', `The native backend (@tensorflow/tfjs-node) is installed but failed to load: ${nodeBackendFailure()}`, {
          hint: 'Run `node scripts/setup-native.ts` to (re)build it, or use --backend wasm.',
        });
      }
      if (!ok) {
        throw new CaplabError('backend-unavailable', 'The native backend (@tensorflow/tfjs-node) is not installed or failed to load.', {
          hint: 'Install it with `npm install @tensorflow/tfjs-node` (it downloads libtensorflow); where that download is blocked (Linux x86-64), `node scripts/setup-native.ts` builds it from the package registries. Or use --backend wasm.',
        });
      }
      break;
    case 'wasm':
      ok = await tryWasm();
      if (!ok) {
        throw new CaplabError('backend-unavailable', 'The wasm backend (@tensorflow/tfjs-backend-wasm) failed to load.', {
          hint: 'Reinstall dependencies with `npm ci`, or use --backend cpu.',
        });
      }
      break;
    case 'cpu':
      ok = await trySet('cpu');
      if (!ok) throw new CaplabError('backend-unavailable', 'The cpu backend failed to initialize.');
      break;
    default:
      // wasm first: measured here (bench/train.bench.ts) it trains caplab's model shapes 2–5× faster
      // per CPU-second than tfjs-node, whose per-op cost dominates small batches, and holds ~140 MB
      // less per process. Native wins only on wide layers at big batches: ask for it with 'node'.
      ok = (await tryWasm()) || (await tryNode()) || (await trySet('cpu'));
      if (!ok) throw new CaplabError('backend-unavailable', 'No TensorFlow.js backend could be initialized.', { hint: 'Reinstall dependencies with `npm ci`.' });
  }
  await tf.ready();
  return tf.getBackend();
}
