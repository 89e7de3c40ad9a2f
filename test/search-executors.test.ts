import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDataset } from '../lib/data/index.ts';
import { createSequentialExecutor } from '../lib/exec/index.ts';
import { runSearch } from '../lib/search/index.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'caplab.js');
let root: string;
let data: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'caplab-search-'));
  data = (await generateDataset({ out: join(root, 'data'), tickers: 4, days: 120, seed: 3 })).path;
});
after(() => rm(root, { recursive: true, force: true }));

test('the sequential and pool executors give the same metrics for the same trials', async () => {
  const common = { data, epochs: 2, trials: 2, backend: 'cpu' as const };
  const seq = await runSearch({ ...common, out: join(root, 'seq'), executor: 'sequential' });
  const pool = await runSearch({ ...common, out: join(root, 'pool'), executor: 'pool', workers: 2 });
  assert.deepEqual([seq.ok, pool.ok], [2, 2]);
  assert.equal(seq.executor, 'sequential');
  assert.equal(pool.executor, 'pool');
  for (const r of seq.records) {
    const p = pool.records.find((x) => x.trialId === r.trialId)!;
    assert.deepEqual(p.metrics, r.metrics, `metrics of ${r.trialId}`);
    assert.deepEqual(p.epochs.map((e) => e.valLoss), r.epochs.map((e) => e.valLoss));
    assert.equal(r.epochs.length, 2);
    assert.equal(r.backend, 'cpu');
    assert.equal(r.provenance.executor, 'sequential');
    assert.equal(p.provenance.executor, 'pool');
  }
  assert.deepEqual(seq.best, pool.best);
});

test('workers that regenerate the synthetic dataset themselves get the metrics of workers reading it', async () => {
  const common = { data, epochs: 1, trials: 1, backend: 'cpu' as const };
  const fromDir = await runSearch({ ...common, out: join(root, 'dir') });
  const scratch = join(root, 'scratch');
  const regenerated = await runSearch({ ...common, out: join(root, 'synthetic'), dataRef: 'synthetic', executorOptions: { env: { CAPLAB_SCRATCH: scratch } } });
  assert.equal(regenerated.ok, 1);
  assert.deepEqual(regenerated.records[0].metrics, fromDir.records[0].metrics);
});

test('a trial whose config throws, or whose data is missing, is recorded as failed with its reason', async () => {
  const results = await createSequentialExecutor().run([
    { id: 'bad', kind: 'trial', payload: { config: { hidden: [0] }, data: { dir: data } } },
    { id: 'nodata', kind: 'trial', payload: { config: {}, data: { dir: join(root, 'nowhere') } } },
  ]);
  assert.deepEqual([results[0].status, results[0].failure], ['failed', 'bad-config']);
  assert.match(results[0].reason!, /"hidden"/);
  assert.equal(results[1].status, 'failed');
  assert.match(results[1].reason!, /nowhere/);
});

test('caplab search --json prints one summary object last, and --resume runs nothing already done', () => {
  const out = join(root, 'cli');
  const args = [BIN, 'search', '--data', data, '--out', out, '--trials', '2', '--epochs', '1', '--executor', 'pool', '--workers', '2', '--backend', 'cpu', '--json'];
  const first = spawnSync(process.execPath, args, { encoding: 'utf8' });
  assert.equal(first.status, 0, first.stderr);
  const summary = JSON.parse(first.stdout.trim().split('\n').pop()!);
  assert.deepEqual([summary.trials, summary.ok, summary.failed, summary.executor], [2, 2, 0, 'pool']);
  assert.ok(summary.seconds > 0);
  assert.ok(summary.best.config && summary.best.validation.mse > 0);
  assert.match(first.stderr, /search \(pool\)/);
  const again = spawnSync(process.execPath, [...args, '--resume'], { encoding: 'utf8' });
  const resumed = JSON.parse(again.stdout.trim().split('\n').pop()!);
  assert.deepEqual([resumed.ran, resumed.skipped, resumed.ok], [0, 2, 2]);
  const refused = spawnSync(process.execPath, args, { encoding: 'utf8' });
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /already holds an experiment/);
});
