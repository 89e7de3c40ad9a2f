import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runDataParallelLocal, trainDataParallel, type DataParallelResult, type DataParallelOptions } from '../lib/distributed/index.ts';
import { freePort } from '../lib/distributed/local.ts';
import { generateRankShare } from '../lib/distributed/rank-synthetic.ts';
import { generateDataset } from '../lib/data/generate.ts';
import { loadDataset, trainModel } from '../lib/train/index.ts';
import { isCaplabError } from '../lib/errors.ts';

// Six tickers over 40 days: ~27 train, 6 validation, 5 test rows a ticker, all in one shard group.
const recipe = { seed: 5, tickers: 6, days: 40, scale: 1 };
const root = await mkdtemp(join(tmpdir(), 'caplab-dp-synthetic-'));
after(() => rm(root, { recursive: true, force: true }));
const written = await generateDataset({ out: join(root, 'market'), ...recipe });
const full = await loadDataset(written.path);

async function ranks(worldSize: number, options: (rank: number) => Omit<DataParallelOptions, 'rank' | 'worldSize' | 'host' | 'port'>): Promise<DataParallelResult[]> {
  const port = await freePort();
  return Promise.all(Array.from({ length: worldSize }, (_, rank) =>
    trainDataParallel({ backend: 'wasm', timeoutMs: 10_000, keepParams: true, ...options(rank), rank, worldSize, host: '127.0.0.1', port })));
}

test('each rank generates only its own tickers, and together the ranks hold exactly the rows the generator writes', () => {
  for (const k of [2, 3]) {
    const shares = Array.from({ length: k }, (_, r) => generateRankShare(recipe, r, k));
    assert.deepEqual(shares.map((s) => s.tickers.end - s.tickers.first), k === 2 ? [3, 3] : [2, 2, 2]);
    for (const split of ['train', 'validation', 'test'] as const) {
      const rows = shares.map((s) => s[split].rows);
      assert.equal(rows.reduce((a, n) => a + n, 0), full[split].rows);
      assert.ok(shares.every((s) => s[split].x.length === s[split].rows * full.features.length), 'a rank allocates only its rows');
      assert.deepEqual(Float32Array.from(shares.flatMap((s) => [...s[split].x])), full[split].x, `${split} x of ${k} ranks`);
      assert.deepEqual(Float32Array.from(shares.flatMap((s) => [...s[split].y])), full[split].y, `${split} y of ${k} ranks`);
    }
  }
});

test('ranks generating their own tickers train like one process at batch k·b on the written dataset, with the same statistics and metrics', async () => {
  const config = { hidden: [8, 4], epochs: 4, learningRate: 0.01, seed: 3 };
  const k = 2;
  // Each rank's batch is its whole train share, so a step's union batch is the one process's batch.
  const shareRows = generateRankShare(recipe, 0, k).train.rows;
  const two = await ranks(k, () => ({ data: { synthetic: { ...recipe, stats: written.manifest.stats } }, config: { ...config, batchSize: shareRows } }));
  const one = await trainModel(written.path, { config: { ...config, batchSize: full.train.rows }, backend: 'wasm' });
  const a = two[0].train!;
  assert.equal(two[0].rank.stats, 'all-reduce');
  assert.equal(two[0].rank.by, 'tickers');
  assert.deepEqual(two[0].rank.rowsByRank, [shareRows, full.train.rows - shareRows]);
  assert.equal(two[1].rank.paramsSha256, two[0].rank.paramsSha256);
  assert.equal(a.rows, full.train.rows);
  assert.equal(a.epochs.length, one.epochs.length);
  for (const [i, e] of a.epochs.entries()) {
    const o = one.epochs[i];
    assert.equal(e.rows, o.rows);
    assert.ok(Math.abs(e.loss - o.loss) < 1e-5 * (1 + o.loss), `epoch ${i + 1} loss ${e.loss} vs ${o.loss}`);
    assert.ok(Math.abs(e.valLoss - o.valLoss) < 1e-5 * (1 + o.valLoss), `epoch ${i + 1} valLoss ${e.valLoss} vs ${o.valLoss}`);
  }
  assert.equal(a.bestEpoch, one.bestEpoch);
  for (const split of ['validation', 'test'] as const) {
    const got = a.metrics[split];
    const want = one.metrics[split];
    assert.equal(got.rows, want.rows);
    for (const m of ['mse', 'mae', 'r2', 'directionalAccuracy'] as const) {
      assert.ok(Math.abs(got[m] - want[m]) < 1e-6 * (1 + Math.abs(want[m])), `${split} ${m} ${got[m]} vs ${want[m]}`);
      assert.ok(Math.abs(got.baselines.trainMean[m] - want.baselines.trainMean[m]) < 1e-9 * (1 + Math.abs(want.baselines.trainMean[m])), `${split} train-mean baseline ${m}`);
      assert.ok(Math.abs(got.baselines.zero[m] - want.baselines.zero[m]) < 1e-9 * (1 + Math.abs(want.baselines.zero[m])), `${split} zero baseline ${m}`);
    }
  }
  // A rank holds about its share of every split: here half of the tickers, so half of the rows.
  const totalBytes = (full.train.rows + full.validation.rows + full.test.rows) * (full.features.length + 1) * 4;
  assert.deepEqual(two.map((r) => r.rank.heldBytes), [totalBytes / 2, totalBytes / 2]);
});

test('ranks whose regenerated data differs from the caller\'s dataset refuse to train', async () => {
  const stats = { ...written.manifest.stats!, targetMean: written.manifest.stats!.targetMean + 1e-3 };
  const results = await Promise.allSettled((await (async () => {
    const port = await freePort();
    return [0, 1].map((rank) => trainDataParallel({ backend: 'wasm', timeoutMs: 10_000, rank, worldSize: 2, host: '127.0.0.1', port, data: { synthetic: { ...recipe, stats } }, config: { hidden: [4], epochs: 1 } }));
  })()));
  for (const r of results) assert.ok(r.status === 'rejected' && isCaplabError(r.reason, 'bad-config') && /another caplab version/.test(r.reason.hint ?? r.reason.message), String(r.status === 'rejected' ? r.reason : 'trained'));
});

test('a rank\'s peak memory grows by about its share of the market, not by the whole of it', async () => {
  const run = async (k: number, r: number) => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(import.meta.dirname, 'helpers', 'rank-share-memory.ts'), String(k), String(r), '300']);
    return JSON.parse(stdout) as { held: number; before: number; peak: number };
  };
  const whole = await run(1, 0);
  const third = await run(3, 2);
  assert.ok(Math.abs(third.held - whole.held / 3) < 0.01 * whole.held, `rank 2 of 3 holds ${third.held} of ${whole.held} bytes`);
  // Growth = the share plus a few MB of simulation scratch (market factors, one ticker's series, feature sums).
  const slack = 16 * 2 ** 20;
  for (const m of [whole, third]) assert.ok(m.peak - m.before <= m.held + slack, `peak grew ${m.peak - m.before} bytes for ${m.held} held`);
  assert.ok(third.peak - third.before < 0.6 * (whole.peak - whole.before), `a third of the tickers grew memory by ${third.peak - third.before} bytes, all of them by ${whole.peak - whole.before}`);
});

test('the local launcher\'s worker processes each generate their own tickers and agree', async () => {
  const r = await runDataParallelLocal({ data: { synthetic: { ...recipe, stats: written.manifest.stats } }, ranks: 2, backend: 'wasm', config: { hidden: [4], epochs: 2, batchSize: 32 } });
  assert.deepEqual(r.ranks.map((x) => x.by), ['tickers', 'tickers']);
  assert.equal(r.ranks[0].rowsByRank.reduce((a, n) => a + n, 0), full.train.rows);
  assert.equal(r.replicasIdentical, true);
  assert.equal(r.train.rows, full.train.rows);
});
