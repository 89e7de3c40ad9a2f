import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initBackend, loadDataset } from '../lib/train/index.ts';
import { tf } from '../lib/train/tf.ts';
import { isCaplabError } from '../lib/errors.ts';
import { writeNpy } from '../lib/data/npy.ts';
import { tinyDataset } from './helpers/tiny-dataset.ts';
import { nativeInstalled } from './helpers/backends.ts';

test('uses the backend asked for and reports its name', async () => {
  assert.equal(await initBackend('cpu'), 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  assert.equal(await initBackend('wasm'), 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
});

test('auto picks wasm (faster than native on caplab\'s shapes), whether or not native is installed', async () => {
  assert.equal(await initBackend('auto'), 'wasm');
  assert.equal(await initBackend(), 'wasm');
});

test('an explicit native request fails with a hint when tfjs-node is missing', { skip: nativeInstalled }, async () => {
  await assert.rejects(initBackend('node'), (e: unknown) => isCaplabError(e, 'backend-unavailable') && /npm install @tensorflow\/tfjs-node/.test(e.message));
});

test('the native backend, when installed, loads on request and runs ops on this Node', { skip: !nativeInstalled }, async () => {
  assert.equal(await initBackend('node'), 'tensorflow');
  assert.equal(tf.getBackend(), 'tensorflow');
  // matMul and topk go through the code of tfjs-node 4.22.0 that calls util.isNullOrUndefined,
  // gone since Node 23: they throw unless lib/train/tf.ts puts it back.
  const [product, top] = tf.tidy(() => {
    const a = tf.tensor2d([[1, 2], [3, 4]]);
    return [Array.from(tf.matMul(a, a).dataSync()), Array.from(tf.topk(tf.tensor1d([1, 3, 2]), 2).values.dataSync())];
  });
  assert.deepEqual(product, [7, 10, 15, 22]);
  assert.deepEqual(top, [3, 2]);
});

test('rejects an unknown backend name', async () => {
  await assert.rejects(initBackend('gpu' as never), (e: unknown) => isCaplabError(e, 'bad-config') && /gpu/.test(e.message));
});

test('loads each split into one array of exactly rows × features values', async () => {
  const t = await tinyDataset({ rows: { train: 250, validation: 30, test: 20 }, features: 3, shardRows: 100 });
  try {
    const d = await loadDataset(t.dir);
    assert.deepEqual(d.features, ['f0', 'f1', 'f2']);
    assert.equal(d.train.rows, 250);
    assert.equal(d.train.x.length, 250 * 3);
    assert.equal(d.train.y.length, 250);
    assert.equal(d.test.x.length, 20 * 3);
    // Rows land in shard order: row 100 is the first row of the second train shard.
    const second = await import('../lib/data/npy.ts').then((m) => m.readNpy(join(t.dir, 'train-0001-x.npy')));
    assert.deepEqual(Array.from(d.train.x.subarray(300, 303)), Array.from(second.data.subarray(0, 3)));
    const onlyEval = await loadDataset(t.dir, { splits: ['validation', 'test'] });
    assert.equal(onlyEval.train.rows, 0);
    assert.equal(onlyEval.validation.rows, 30);
  } finally {
    await t.cleanup();
  }
});

test('names the shard whose shape disagrees with the manifest', async () => {
  const t = await tinyDataset({ rows: { train: 100, validation: 10, test: 10 }, features: 3 });
  try {
    await writeNpy(join(t.dir, 'validation-0000-x.npy'), new Float32Array(10 * 2), [10, 2]);
    await assert.rejects(loadDataset(t.dir), (e: unknown) => isCaplabError(e) && /validation-0000-x\.npy/.test(e.message));
    await writeFile(join(t.dir, 'manifest.json'), '{');
    await assert.rejects(loadDataset(t.dir), (e: unknown) => isCaplabError(e, 'manifest-invalid'));
  } finally {
    await t.cleanup();
  }
});

test('leaks no tensors when switching backends', async () => {
  await initBackend('wasm');
  const before = tf.memory().numTensors;
  await initBackend('cpu');
  await initBackend('wasm');
  assert.equal(tf.memory().numTensors, before);
});
