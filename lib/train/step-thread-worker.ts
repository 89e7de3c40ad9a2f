/**
 * A helper thread of StepThreads (step-threads.ts): its own backend and model; each step it
 * takes the shared parameters and its rows, and writes its share's gradient and MSE back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from './backend.ts';
import { Mlp } from './mlp.ts';
import { CTRL, type HelperData } from './step-threads.ts';

const d = workerData as HelperData;
const port = parentPort!;

async function main(): Promise<void> {
  let mlp: Mlp;
  try {
    const backend = await initBackend(d.backend as 'wasm');
    if (backend !== d.backend) throw new Error(`got backend ${backend}, not ${d.backend}`);
    mlp = new Mlp(d.inputs, d.config);
  } catch (e) {
    port.postMessage({ error: (e as Error).message });
    return;
  }
  port.postMessage({ ready: true });
  // No xT: Mlp makes one if its route needs it.
  const xT = new Float32Array(0);
  let seq = 0;
  for (;;) {
    Atomics.wait(d.ctrl, CTRL.go, seq);
    const next = Atomics.load(d.ctrl, CTRL.go);
    if (next < 0) break;
    if (next === seq) continue;
    seq = next;
    try {
      const rows = Atomics.load(d.ctrl, CTRL.rows);
      mlp.setParams(d.params);
      d.loss[0] = mlp.gradient({ rows, x: d.x, xT, y: d.y }, d.grad).loss;
    } catch (e) {
      port.postMessage({ error: (e as Error).message });
      Atomics.store(d.ctrl, CTRL.failed, 1);
    }
    Atomics.store(d.ctrl, CTRL.done, seq);
    Atomics.notify(d.ctrl, CTRL.done);
  }
  mlp.dispose();
}

await main();
