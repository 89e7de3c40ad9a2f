import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { trainDataParallel, runDataParallelLocal, type DataParallelResult, type DataParallelOptions } from '../lib/distributed/index.ts';
import { freePort } from '../lib/distributed/local.ts';
import { loadRankShare } from '../lib/distributed/rank-data.ts';
import { runSpec as runRankSpec } from '../lib/distributed/rank-worker.ts';
import { readManifest } from '../lib/data/manifest.ts';
import { loadDataset, trainModel } from '../lib/train/index.ts';
import { tf } from '../lib/train/tf.ts';
import { isCaplabError } from '../lib/errors.ts';
import { tinyDataset } from './helpers/tiny-dataset.ts';

const cleanups: Array<() => Promise<void>> = [];
after(() => Promise.all(cleanups.map((c) => c())));

async function dataset(options: Parameters<typeof tinyDataset>[0]): Promise<string> {
  const ds = await tinyDataset(options);
  cleanups.push(ds.cleanup);
  return ds.dir;
}

type RankOptions = Omit<DataParallelOptions, 'rank' | 'worldSize' | 'host' | 'port'>;

/** Every rank in this process, on loopback. */
async function inProcess(worldSize: number, options: RankOptions | ((rank: number) => RankOptions)): Promise<DataParallelResult[]> {
  const port = await freePort();
  return Promise.all(
    Array.from({ length: worldSize }, (_, rank) =>
      trainDataParallel({ backend: 'wasm', timeoutMs: 10_000, keepParams: true, ...(typeof options === 'function' ? options(rank) : options), rank, worldSize, host: '127.0.0.1', port }),
    ),
  );
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('two ranks with batch b train like one process with batch 2b', async () => {
  // Two train shards of 120 rows; b = 120 is each rank's whole share, so the union of a step's
  // batches is exactly the one process's batch (only the summation order differs).
  const dir = await dataset({ rows: { train: 240, validation: 60, test: 60 }, shardRows: 120 });
  const config = { hidden: [8, 4], epochs: 6, learningRate: 0.01, seed: 3 };
  const two = await inProcess(2, { data: dir, config: { ...config, batchSize: 120 } });
  const [one] = await inProcess(1, { data: dir, config: { ...config, batchSize: 240 } });
  assert.equal(two[0].rank.stats, 'manifest', 'a dataset caplab wrote carries its train statistics');
  assert.ok(maxAbsDiff(two[0].params!, one.params!) < 1e-5, `params differ by ${maxAbsDiff(two[0].params!, one.params!)}`);
  const reference = await trainModel(dir, { config: { ...config, batchSize: 240 }, backend: 'wasm' });
  const a = two[0].train!;
  assert.equal(a.rows, 240);
  assert.equal(a.epochs.length, 6);
  for (const [i, e] of a.epochs.entries()) {
    for (const other of [one.train!.epochs[i], reference.epochs[i]]) {
      assert.equal(e.rows, other.rows);
      assert.ok(Math.abs(e.loss - other.loss) < 1e-5 * (1 + other.loss), `epoch ${i + 1} loss ${e.loss} vs ${other.loss}`);
      assert.ok(Math.abs(e.valLoss - other.valLoss) < 1e-5 * (1 + other.valLoss), `epoch ${i + 1} valLoss ${e.valLoss} vs ${other.valLoss}`);
    }
  }
  assert.ok(Math.abs(a.metrics.test.rmse - reference.metrics.test.rmse) < 1e-6 * (1 + reference.metrics.test.rmse));
  assert.equal(a.bestEpoch, reference.bestEpoch);
  assert.equal(two[1].train, undefined, 'only rank 0 reports metrics');
  assert.equal(two[1].rank.heldBytes, (120 + 30 + 30) * (4 + 1) * 4, 'each rank holds half of every split');
});

test('replicas end bit-identical, each rank holding only its shards, with no tensor leaks', async () => {
  // Shards of 100, 100 and 50 rows: rank 0 holds shards 0 and 2 (150 rows), rank 1 shard 1 (100),
  // so rank 1 runs out of batches first and pads with zero-weight steps. A manifest without train
  // statistics (written before manifests carried them) makes the ranks all-reduce them.
  const dir = await dataset({ rows: { train: 250, validation: 50, test: 50 }, shardRows: 100, features: 5, stats: false });
  const tensors = tf.memory().numTensors;
  const [r0, r1] = await inProcess(2, { data: dir, config: { hidden: [6], epochs: 3, batchSize: 40, dropout: 0.2, learningRate: 0.01 } });
  assert.equal(tf.memory().numTensors, tensors);
  assert.deepEqual(r1.params, r0.params);
  assert.equal(r1.rank.paramsSha256, r0.rank.paramsSha256);
  assert.deepEqual([r0.rank.localRows, r1.rank.localRows], [150, 100]);
  assert.deepEqual(r0.rank.rowsByRank, [150, 100]);
  assert.equal(r0.rank.by, 'shards');
  // Train shard 1, and half of the one validation and one test shard (25 rows each): evaluation is shared too.
  assert.equal(r1.rank.heldBytes, (100 + 25 + 25) * (5 + 1) * 4);
  assert.equal(r0.rank.stepsPerEpoch, 4);
  assert.equal(r0.rank.steps, 12);
  assert.equal(r0.rank.stats, 'all-reduce');
  assert.equal(r0.train!.rows, 250);
  assert.ok(r0.train!.epochs.every((e) => e.rows === 250), 'every row once per epoch');
});

test('every rank stops at the epoch where rank 0 sees divergence', async () => {
  const dir = await dataset({ rows: { train: 240, validation: 60, test: 60 }, shardRows: 120 });
  // Plain SGD with a step of 9 on standardized data overflows within a few epochs.
  const [r0, r1] = await inProcess(2, { data: dir, config: { hidden: [8, 4], epochs: 30, optimizer: 'sgd', learningRate: 9, batchSize: 120, seed: 3 } });
  const a = r0.train!;
  assert.equal(a.stoppedEarly, true);
  assert.ok(a.epochs.length < 30, `trained all ${a.epochs.length} epochs without diverging`);
  assert.match(a.stoppedReason ?? '', new RegExp(`^diverged at epoch ${a.epochs.length} `));
  assert.equal(r1.rank.steps, r0.rank.steps, 'rank 1 stopped with rank 0');
  assert.equal(r0.rank.steps, a.epochs.length * r0.rank.stepsPerEpoch);
  assert.ok(a.bestEpoch >= 1 && a.bestEpoch < a.epochs.length && Number.isFinite(a.metrics.test.mse));
});

test('aborting one rank stops every rank after the current epoch', async () => {
  const dir = await dataset({ rows: { train: 200, validation: 40, test: 40 } });
  const controller = new AbortController();
  const [r0, r1] = await inProcess(2, (rank) => ({
    data: dir, config: { hidden: [4], epochs: 50, batchSize: 25 },
    ...(rank === 1 ? { signal: controller.signal, onProgress: (e) => { if (e.kind === 'epoch' && e.epoch === 2) controller.abort(); } } : {}),
  }));
  assert.equal(r0.train!.epochs.length, 2);
  assert.equal(r0.train!.stoppedReason, 'aborted after epoch 2');
  assert.equal(r1.rank.steps, r0.rank.steps);
  assert.equal(r1.rank.paramsSha256, r0.rank.paramsSha256);
});

test('with fewer shards than ranks, each rank reads a contiguous slice of the rows', async () => {
  const dir = await dataset({ rows: { train: 241, validation: 30, test: 30 }, shardRows: 150 });
  const manifest = await readManifest(dir);
  const full = await loadDataset(dir, { splits: ['train'] });
  const shares = await Promise.all([0, 1, 2].map((rank) => loadRankShare(dir, manifest, rank, 3)));
  assert.deepEqual(shares.map((s) => [s.by, s.train.rows]), [['rows', 80], ['rows', 80], ['rows', 81]]);
  assert.deepEqual(shares[1].ranges.map((r) => [r.shard.x.file, r.start, r.rows]), [['train-0000-x.npy', 80, 70], ['train-0001-x.npy', 0, 10]]);
  const joined = new Float32Array(full.train.x.length);
  let at = 0;
  for (const s of shares) {
    assert.equal(s.train.x.length, s.train.rows * 4, 'a rank allocates only its rows');
    joined.set(s.train.x, at);
    at += s.train.x.length;
  }
  assert.deepEqual(joined, full.train.x);
  assert.deepEqual(Float32Array.from(shares.flatMap((s) => [...s.train.y])), full.train.y);
});

test('a rank dying mid-training fails the others with rank-lost', async () => {
  const dir = await dataset({ rows: { train: 200, validation: 40, test: 40 } });
  const results = await Promise.allSettled(
    await (async () => {
      const port = await freePort();
      return [0, 1].map((rank) =>
        trainDataParallel({
          rank, worldSize: 2, host: '127.0.0.1', port, data: dir, backend: 'wasm', timeoutMs: 10_000,
          config: { hidden: [4], epochs: 50, batchSize: 50 },
          onProgress: (e) => {
            if (rank === 1 && e.kind === 'epoch' && e.epoch === 2) throw new Error('rank 1 crashed');
          },
        }),
      );
    })(),
  );
  assert.equal(results[0].status, 'rejected');
  const reason = (results[0] as PromiseRejectedResult).reason;
  assert.ok(isCaplabError(reason, 'rank-lost') && /rank 1/.test(reason.message), String(reason));
  assert.equal(results[1].status, 'rejected');
});

test('a rank spec without a rank or JOB_COMPLETION_INDEX is a bad config', async () => {
  const saved = process.env.JOB_COMPLETION_INDEX;
  delete process.env.JOB_COMPLETION_INDEX;
  try {
    const spec = { id: 'r', kind: 'rank' as const, payload: { worldSize: 2, host: '127.0.0.1', port: 1, data: { dir: '/nowhere' }, config: {} } };
    const ctx = { report: () => {}, signal: new AbortController().signal, scratchDir: '/tmp' };
    await assert.rejects(runRankSpec(spec, ctx), (e) => isCaplabError(e, 'bad-config') && /JOB_COMPLETION_INDEX/.test(e.message));
  } finally {
    if (saved !== undefined) process.env.JOB_COMPLETION_INDEX = saved;
  }
});

test('the local launcher trains with two worker processes and agrees with in-process ranks', async () => {
  const dir = await dataset({ rows: { train: 240, validation: 60, test: 60 }, shardRows: 120 });
  const config = { hidden: [8], epochs: 3, batchSize: 50, learningRate: 0.01 };
  const seen = new Set<number>();
  const r = await runDataParallelLocal({ data: dir, ranks: 2, config, backend: 'wasm', onRankProgress: (p) => seen.add(p.rank) });
  assert.deepEqual([...seen].sort(), [0, 1]);
  assert.equal(r.replicasIdentical, true);
  assert.deepEqual(r.ranks.map((x) => x.localRows), [120, 120]);
  assert.ok(r.ranks.every((x) => x.peakRssBytes > 0 && x.stepCpuSeconds.length === 3 && x.stepCpuSeconds.every((c) => c > 0)));
  assert.equal(r.train.epochs.length, 3);
  const [local] = await inProcess(2, { data: dir, config });
  assert.equal(r.ranks[0].paramsSha256, local.rank.paramsSha256, 'processes and in-process ranks train the same model');
  assert.deepEqual(r.train.metrics, local.train!.metrics);
});

test('the launcher reports rank-lost when a worker process is killed mid-training', async () => {
  const dir = await dataset({ rows: { train: 200, validation: 40, test: 40 } });
  let killed = false;
  await assert.rejects(
    runDataParallelLocal({
      data: dir, ranks: 2, backend: 'wasm', timeoutMs: 10_000,
      config: { hidden: [4], epochs: 100_000, batchSize: 50 },
      onRankProgress: (p) => {
        if (p.rank === 1 && !killed) {
          killed = true;
          process.kill(p.pid, 'SIGKILL');
        }
      },
    }),
    (e) => isCaplabError(e, 'rank-lost') && /rank-1: failed/.test(e.message) && /lost a peer/.test(e.message),
  );
  assert.ok(killed);
});

test('opt-in local SGD averages parameters every N steps, says so in its report, and ends each epoch with identical replicas', async () => {
  const dir = await dataset({ rows: { train: 240, validation: 60, test: 60 }, shardRows: 120 });
  const config = { hidden: [8, 4], epochs: 3, learningRate: 0.01, seed: 3, batchSize: 20 };
  const local = await inProcess(2, { data: dir, config, localSgdEvery: 4 });
  const exact = await inProcess(2, { data: dir, config });
  assert.deepEqual(local.map((r) => [r.rank.mode, r.rank.localSgdEvery]), [['local-sgd', 4], ['local-sgd', 4]]);
  assert.equal(exact[0].rank.mode, 'exact');
  assert.equal(local[1].rank.paramsSha256, local[0].rank.paramsSha256, 'replicas agree after the epoch-end average');
  assert.equal(local[0].rank.steps, exact[0].rank.steps);
  assert.ok(local[0].train!.epochs.every((e) => e.rows === 240 && Number.isFinite(e.loss)), 'every row counted once per epoch');
  assert.notEqual(local[0].rank.paramsSha256, exact[0].rank.paramsSha256, 'local SGD is not the exact computation');
  await assert.rejects(inProcess(1, { data: dir, config, localSgdEvery: 0 }), (e) => isCaplabError(e, 'bad-config') && /localSgdEvery/.test(e.message));
  await assert.rejects(inProcess(1, { data: dir, config, localSgdEvery: 2, checkpointDir: dir }), (e) => isCaplabError(e, 'bad-config') && /checkpointDir/.test(e.message));
});
