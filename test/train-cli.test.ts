import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tinyDataset } from './helpers/tiny-dataset.ts';
import { BACKEND_NAME, testEachBackend } from './helpers/backends.ts';

const bin = fileURLToPath(new URL('../bin/caplab.js', import.meta.url));
let ds: Awaited<ReturnType<typeof tinyDataset>>;

before(async () => {
  ds = await tinyDataset({ rows: { train: 200, validation: 50, test: 50 } });
});
after(() => ds.cleanup());

function caplab(...args: string[]) {
  return spawnSync(process.execPath, [bin, 'train', ...args], { encoding: 'utf8' });
}

testEachBackend('caplab train --json ends stdout with one JSON object holding backend, throughput and metrics with baselines', (backend) => {
  const r = caplab('--data', ds.dir, '--epochs', '2', '--hidden', '8,4', '--batch-size', '32', '--backend', backend, '--json');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  const out = JSON.parse(lines[lines.length - 1]);
  assert.equal(out.backend, BACKEND_NAME[backend]);
  assert.equal(out.rows, 200);
  assert.ok(out.seconds > 0 && out.rowsPerSecond > 0);
  assert.deepEqual(out.config.hidden, [8, 4]);
  for (const split of ['validation', 'test']) {
    assert.equal(typeof out.metrics[split].rmse, 'number');
    assert.equal(typeof out.metrics[split].baselines.zero.rmse, 'number');
    assert.equal(typeof out.metrics[split].baselines.trainMean.rmse, 'number');
  }
  assert.equal(out.epochs.length, 2);
  assert.match(r.stderr, /train \[#+\] 2\/2/);
});

test('caplab train prints a human summary with the baselines', () => {
  const r = caplab('--data', ds.dir, '--epochs', '1', '--hidden', '', '--streamed');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /trained linear relu MLP/);
  assert.match(r.stdout, /baseline: predict 0/);
  assert.match(r.stdout, /baseline: train mean/);
});

test('caplab train names the bad flag or field', () => {
  const missing = caplab('--epochs', '1');
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /--data DIR/);
  const hidden = caplab('--data', ds.dir, '--hidden', '8,x');
  assert.equal(hidden.status, 2);
  assert.match(hidden.stderr, /--hidden/);
  const optimizer = caplab('--data', ds.dir, '--optimizer', 'adagrad');
  assert.equal(optimizer.status, 2, 'a bad flag value is a usage error');
  assert.match(optimizer.stderr, /"optimizer"/);
});
