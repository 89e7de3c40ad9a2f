import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkResumable, decodeCheckpoint, encodeCheckpoint, readCheckpoint, writeCheckpoint, CHECKPOINT_FILE, type TrainCheckpoint } from '../lib/train/checkpoint.ts';
import { flatOptimizer } from '../lib/train/optim.ts';
import { seededUniform, TRAIN_STREAM } from '../lib/train/rng.ts';
import { isCaplabError } from '../lib/errors.ts';

function sample(epoch = 2): TrainCheckpoint {
  const opt = flatOptimizer('adam', 0.01, 5);
  const params = Float32Array.of(0.1, -0.2, 0.3, 0.4, -0.5);
  opt.step(params, Float32Array.of(1, 2, 3, 4, 5));
  return {
    identity: { configHash: 'c0ffee', dataChecksum: 'data1', worldSize: 2, size: 5 },
    epoch,
    position: { steps: 14, rows: 900, trainSeconds: 1.5 },
    params,
    optimizer: opt.state(),
    rng: { shuffle: [123, 4294967295], dropout: [0, 7] },
    best: { epoch: 1, valLoss: 0.97, params: Float32Array.of(1, 2, 3, 4, 5) },
    epochs: [{ epoch: 1, loss: 1.01, valLoss: 0.97, rows: 450, seconds: 0.7, rowsPerSecond: 640 }, { epoch: 2, loss: 0.99, valLoss: 0.98, rows: 450, seconds: 0.8, rowsPerSecond: 600 }],
    createdAt: '2026-12-02T08:00:00.000Z',
  };
}

test('a checkpoint reads back exactly as it was written, arrays bit for bit', () => {
  const c = sample();
  assert.deepEqual(decodeCheckpoint(encodeCheckpoint(c)), c);
});

test('a best loss of Infinity (nothing validated yet) survives the JSON header', () => {
  const c = { ...sample(0), best: { epoch: 0, valLoss: Infinity, params: Float32Array.of(0, 0, 0, 0, 0) }, epochs: [] };
  assert.equal(decodeCheckpoint(encodeCheckpoint(c)).best.valLoss, Infinity);
});

test('writing replaces the previous checkpoint atomically and leaves no temp file; no checkpoint reads as null', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'caplab-ckpt-'));
  try {
    assert.equal(await readCheckpoint(dir), null);
    await writeCheckpoint(dir, sample(1));
    await writeCheckpoint(dir, sample(2));
    assert.deepEqual(await readdir(dir), [CHECKPOINT_FILE]);
    assert.equal((await readCheckpoint(dir))!.epoch, 2);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a cut-short or changed checkpoint is refused, not resumed from', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'caplab-ckpt-'));
  try {
    const path = await writeCheckpoint(dir, sample());
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, bytes.length - 3));
    await assert.rejects(readCheckpoint(dir), (e) => isCaplabError(e) && e.code === 'bad-checkpoint' && /checksum/.test(e.message));
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 1] ^= 1;
    await writeFile(path, flipped);
    await assert.rejects(readCheckpoint(dir), /checksum/);
    await writeFile(path, 'not a checkpoint');
    await assert.rejects(readCheckpoint(dir), /does not start like a caplab checkpoint/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("another run's checkpoint is refused, naming what differs", () => {
  const c = sample();
  checkResumable(c, { ...c.identity }, 'here');
  assert.throws(() => checkResumable(c, { ...c.identity, worldSize: 3 }, '/ckpt'), (e) => isCaplabError(e) && e.code === 'checkpoint-mismatch' && /worldSize 2 there, 3 here/.test(e.message));
});

test('an optimizer restored from its state takes the very steps the original takes', () => {
  for (const name of ['adam', 'rmsprop', 'sgd'] as const) {
    const a = flatOptimizer(name, 0.05, 3);
    const pa = Float32Array.of(1, 2, 3);
    a.step(pa, Float32Array.of(0.5, -1, 2));
    const saved = a.state();
    const b = flatOptimizer(name, 0.05, 3);
    b.restore(saved);
    const pb = pa.slice();
    a.step(pa, Float32Array.of(0.1, 0.2, -0.3));
    b.step(pb, Float32Array.of(0.1, 0.2, -0.3));
    assert.deepEqual(pb, pa, name);
    assert.throws(() => flatOptimizer(name === 'adam' ? 'sgd' : 'adam', 0.05, 3).restore(saved), /does not fit/);
  }
});

test('a random stream restored from its state continues the same sequence', () => {
  const a = seededUniform(7, TRAIN_STREAM.shuffle, 1);
  for (let i = 0; i < 10; i++) a();
  const b = seededUniform(99, TRAIN_STREAM.dropout);
  b.restore(a.state());
  assert.deepEqual(Array.from({ length: 5 }, b), Array.from({ length: 5 }, a));
});
