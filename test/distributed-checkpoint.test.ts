import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainDataParallel, type DataParallelResult, type DataParallelOptions } from '../lib/distributed/index.ts';
import { freePort } from '../lib/distributed/local.ts';
import { readCheckpoint } from '../lib/train/checkpoint.ts';
import { isCaplabError } from '../lib/errors.ts';
import { tinyDataset } from './helpers/tiny-dataset.ts';

const cleanups: Array<() => Promise<void>> = [];
after(() => Promise.all(cleanups.map((c) => c())));

async function folder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'caplab-ckpt-group-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

type RankOptions = Omit<DataParallelOptions, 'rank' | 'worldSize' | 'host' | 'port'>;

async function inProcess(worldSize: number, options: RankOptions): Promise<DataParallelResult[]> {
  const port = await freePort();
  return Promise.all(Array.from({ length: worldSize }, (_, rank) =>
    trainDataParallel({ backend: 'wasm', timeoutMs: 10_000, keepParams: true, ...options, ...(rank === 0 ? {} : { onEpoch: undefined }), rank, worldSize, host: '127.0.0.1', port })));
}

// Dropout and Adam, so the random streams and the optimizer state must all come back.
const config = { hidden: [8, 4], epochs: 5, learningRate: 0.01, seed: 3, dropout: 0.2, batchSize: 32, optimizer: 'adam' as const };

test('a group stopped after epoch 2 resumes from its checkpoint and ends with the model of an uninterrupted run', async () => {
  const ds = await tinyDataset({ rows: { train: 300, validation: 60, test: 60 }, shardRows: 100 });
  cleanups.push(ds.cleanup);
  const whole = await inProcess(2, { data: ds.dir, config });
  const dir = await folder();
  const first = await inProcess(2, { data: ds.dir, config, checkpointDir: dir, onEpoch: (e) => (e.epoch === 2 ? 'stop' : undefined) });
  assert.equal(first[0].train!.epochs.length, 2);
  assert.equal(first[0].resumedFromEpoch, null);
  assert.equal((await readCheckpoint(dir))!.epoch, 2, 'the stop still wrote its checkpoint');
  const resumed = await inProcess(2, { data: ds.dir, config, checkpointDir: dir });
  assert.equal(resumed[0].resumedFromEpoch, 2);
  assert.equal(resumed[1].resumedFromEpoch, 2);
  assert.deepEqual(resumed[0].params, whole[0].params, 'bit for bit the same final weights');
  assert.deepEqual(resumed[1].params, whole[1].params);
  const a = resumed[0].train!;
  const b = whole[0].train!;
  assert.deepEqual(a.epochs.map((e) => [e.epoch, e.loss, e.valLoss]), b.epochs.map((e) => [e.epoch, e.loss, e.valLoss]), 'the loss curve is whole and equal');
  assert.equal(a.bestEpoch, b.bestEpoch);
  assert.deepEqual(a.metrics, b.metrics);
  assert.equal((await readCheckpoint(dir))!.epoch, 5);
});

test("a checkpoint of another group size is refused, not resumed from", async () => {
  const ds = await tinyDataset({ rows: { train: 300, validation: 60, test: 60 }, shardRows: 100 });
  cleanups.push(ds.cleanup);
  const dir = await folder();
  await inProcess(2, { data: ds.dir, config: { ...config, epochs: 1 }, checkpointDir: dir });
  const results = await Promise.allSettled(await inProcess(3, { data: ds.dir, config: { ...config, epochs: 1 }, checkpointDir: dir }).catch((e) => [Promise.reject(e)]));
  assert.ok(results.some((r) => r.status === 'rejected' && isCaplabError(r.reason, 'checkpoint-mismatch') && /worldSize 2 there, 3 here/.test(r.reason.message)));
});
