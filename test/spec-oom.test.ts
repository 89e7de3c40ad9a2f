// One out-of-memory classifier for every path: a caught error, a child's exit, a container's status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { outOfMemory } from '../lib/spec/oom.ts';
import { classifyExit } from '../lib/spec/protocol.ts';
import { podTrialState } from '../lib/cluster/pod-state.ts';

function caught(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  assert.fail('expected a throw');
}

test('a real ArrayBuffer allocation failure is an array allocation out-of-memory', () => {
  const e = caught(() => new ArrayBuffer(2 ** 50));
  const oom = outOfMemory({ error: e });
  assert.equal(oom?.kind, 'alloc');
  assert.match(oom!.reason, /Array buffer allocation failed/);
});

test('a V8 heap-limit death (its stderr, SIGABRT) is the heap kind, from a result-less exit too', () => {
  const output = '<--- Last few GCs --->\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n';
  assert.equal(outOfMemory({ code: null, signal: 'SIGABRT', output })?.kind, 'heap');
  const exit = classifyExit({ code: null, signal: 'SIGABRT', stderr: output });
  assert.deepEqual([exit.failure, exit.oom], ['oom', 'heap']);
  assert.match(exit.reason!, /heap out of memory \(SIGABRT\)/);
});

test('a real wasm memory that cannot grow is the wasm kind', () => {
  const wasm = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number }) => { grow(n: number): void } } }).WebAssembly;
  const e = caught(() => new wasm.Memory({ initial: 1, maximum: 2 }).grow(5));
  assert.equal(outOfMemory({ error: e })?.kind, 'wasm');
  assert.equal(outOfMemory({ error: new Error('RuntimeError: Aborted(OOM)') })?.kind, 'wasm');
});

test('a SIGKILL nobody of ours sent is the kernel kind; one the runner sent (a budget) is no verdict', () => {
  assert.equal(outOfMemory({ code: null, signal: 'SIGKILL' })?.kind, 'killed');
  assert.equal(outOfMemory({ code: 137, signal: null })?.kind, 'killed');
  assert.equal(outOfMemory({ code: null, signal: 'SIGKILL', killedByRunner: true }), null);
  assert.equal(classifyExit({ code: null, signal: 'SIGKILL' }).oom, 'killed');
});

test('a container\'s OOMKilled reason is the container kind with exit 137, and with exit 0 and phase Succeeded', () => {
  assert.equal(outOfMemory({ containerReason: 'OOMKilled', code: 137 })?.kind, 'container');
  assert.equal(outOfMemory({ containerReason: 'OOMKilled', code: 0 })?.kind, 'container');
  const pod = (exitCode: number, phase: string) =>
    ({
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'worker', resources: { limits: { memory: '256Mi' } } }] },
      status: { phase, containerStatuses: [{ name: 'worker', state: { terminated: { reason: 'OOMKilled', exitCode } } }] },
    }) as unknown as Parameters<typeof podTrialState>[0];
  for (const [code, phase] of [[137, 'Failed'], [0, 'Succeeded']] as const) {
    const st = podTrialState(pod(code, phase));
    assert.equal(st.state, 'failed');
    assert.deepEqual(st.state === 'failed' && [st.failure, st.oom], ['oom', 'container']);
  }
});

test('in a container, exit 137 without the OOMKilled reason is no out-of-memory; neither is an ordinary error', () => {
  assert.equal(outOfMemory({ containerReason: 'Error', code: 137 }), null);
  assert.equal(outOfMemory({ error: new Error('boom') }), null);
  assert.equal(outOfMemory({ code: 1, signal: null, output: 'Error: boom\n' }), null);
  assert.equal(classifyExit({ code: 1, signal: null, stderr: 'RangeError: Array buffer allocation failed\n' }).oom, 'alloc');
});
