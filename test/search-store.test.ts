import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDataset } from '../lib/data/index.ts';
import { localProvenance } from '../lib/provenance.ts';
import type { Spec } from '../lib/exec/types.ts';
import {
  appendTrialRecord,
  readSearchResults,
  readTrialLines,
  runSearch,
  TRIALS_FILE,
  type TrialPayload,
  type TrialRecord,
} from '../lib/search/index.ts';
import { fakeExecutor } from './helpers/fake-executor.ts';

let root: string;
let data: string;
let otherData: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'caplab-store-'));
  data = (await generateDataset({ out: join(root, 'data'), tickers: 4, days: 120, seed: 1 })).path;
  otherData = (await generateDataset({ out: join(root, 'data-2'), tickers: 4, days: 120, seed: 2 })).path;
});
after(() => rm(root, { recursive: true, force: true }));


const record = (i: number): TrialRecord => ({
  trialId: `t-${i}`,
  status: 'ok',
  config: { hidden: [i], activation: 'relu', dropout: 0, learningRate: 0.001, batchSize: 16, epochs: 1, optimizer: 'adam', seed: 42 },
  epochs: [{ epoch: 1, valLoss: i }],
  seconds: 1,
  worker: 'w',
  startedAt: '',
  finishedAt: '',
  provenance: localProvenance('sequential'),
});

test('appends each record as one whole line, even when appends overlap', async () => {
  const dir = join(root, 'append');
  await Promise.all(Array.from({ length: 40 }, (_, i) => appendTrialRecord(dir, record(i))));
  const text = await readFile(join(dir, TRIALS_FILE), 'utf8');
  assert.equal(text.split('\n').filter(Boolean).length, 40);
  const { records, skipped } = await readTrialLines(dir);
  assert.equal(skipped, 0);
  assert.deepEqual(records.map((r) => r.trialId).sort(), Array.from({ length: 40 }, (_, i) => `t-${i}`).sort());
});

test('ignores a torn last line on read, and a resumed run cuts it before appending', async () => {
  const out = join(root, 'torn');
  const first = await runSearch({ data, out, executor: fakeExecutor({ abortAfter: 5 }), epochs: 1 });
  assert.equal(first.ok, 5);
  await appendFile(join(out, TRIALS_FILE), '{"trialId":"t-half","status":"o');
  const read = await readTrialLines(out);
  assert.equal(read.records.length, 5);
  assert.equal(read.skipped, 1);
  const second = await runSearch({ data, out, executor: fakeExecutor(), epochs: 1, resume: true });
  assert.equal(second.ok, 18);
  const after = await readTrialLines(out);
  assert.equal(after.skipped, 0, 'the torn line was cut, so no appended line got glued to it');
  assert.equal(after.records.length, 18);
});

test('resume runs the trials without a result and the failed ones; retryFailed false counts failures as done', async () => {
  const out = join(root, 'resume');
  const failing = (s: Spec<TrialPayload>) => (s.payload.config.batchSize === 64 && s.payload.config.hidden![0] === 128 ? 'crash' : undefined);
  const first = fakeExecutor({ fail: failing, abortAfter: 10 });
  const s1 = await runSearch({ data, out, executor: first, epochs: 1 });
  assert.equal(first.ran.length, 10);
  assert.equal(s1.cancelled, 8);
  assert.equal(s1.ok + s1.failed, 10);
  assert.equal(s1.failed, 1, 'the failing trial is recorded and the search went on');
  const failed = s1.records.find((r) => r.status === 'failed')!;
  assert.equal(failed.reason, `crash in ${failed.trialId}`);

  const second = fakeExecutor();
  const s2 = await runSearch({ data, out, executor: second, epochs: 1, resume: true, retryFailed: false });
  assert.equal(second.ran.length, 8, 'only the cancelled trials ran: the failure was asked to count as done');
  assert.equal(s2.skipped, 10);
  assert.deepEqual([s2.ok, s2.failed], [17, 1]);

  const third = fakeExecutor();
  const s3 = await runSearch({ data, out, executor: third, epochs: 1, resume: true });
  assert.deepEqual(third.ran, [failed.trialId]);
  assert.deepEqual([s3.ok, s3.failed, s3.trials], [18, 0, 18]);
  assert.equal(s3.best?.config.hidden[0], 256, 'best by validation mse (1/hidden in the double)');
  const stored = await readSearchResults(out);
  assert.equal(stored.records.length, 18, 'the retried trial’s newer line replaces the old one');
  assert.equal(stored.experiment.trials.length, 18);
});

test('refuses to resume into an experiment whose space or dataset differs, and to overwrite one without --force', async () => {
  const out = join(root, 'mismatch');
  await runSearch({ data, out, executor: fakeExecutor(), epochs: 1 });
  await assert.rejects(runSearch({ data, out, executor: fakeExecutor(), epochs: 1 }), /already holds an experiment[\s\S]*--resume/);
  await assert.rejects(runSearch({ data, out, executor: fakeExecutor(), epochs: 2, resume: true }), /its search space differ/);
  await assert.rejects(runSearch({ data: otherData, out, executor: fakeExecutor(), epochs: 1, resume: true }), /its dataset differ/);
  await assert.rejects(runSearch({ data, out, executor: fakeExecutor(), epochs: 1, resume: true, earlyStop: true }), /early-stop setting differ/);
  const fresh = fakeExecutor();
  await runSearch({ data, out, executor: fresh, epochs: 1, force: true });
  assert.equal(fresh.ran.length, 18);
  assert.equal((await readTrialLines(out)).records.length, 18);
});

test('rejects a bad space before any trial runs', async () => {
  const ex = fakeExecutor();
  await assert.rejects(runSearch({ data, out: join(root, 'bad-space'), executor: ex, space: { type: 'grid', params: { units: [1] } } }), /unknown parameter "units"/);
  assert.equal(ex.ran.length, 0);
});

test('early stopping records poor trials as stopped with the rung’s numbers', async () => {
  const out = join(root, 'early');
  // Loss depends on batch size: batch 64 trials are far worse, and get stopped at a rung.
  const losses = (s: Spec<TrialPayload>) => Array.from({ length: 9 }, (_, i) => (s.payload.config.batchSize === 64 ? 5 : 1) / (i + 1));
  const s = await runSearch({ data, out, executor: fakeExecutor({ losses }), epochs: 9, earlyStop: true });
  assert.ok(s.stopped >= 4, `stopped ${s.stopped}`);
  const stopped = s.records.filter((r) => r.status === 'stopped');
  assert.ok(stopped.every((r) => r.config.batchSize === 64 && r.failure === 'early-stop'));
  assert.match(stopped[0].reason!, /stopped early at epoch (1|3): validation loss .* ranked \d+ of \d+ at the rung/);
  assert.ok(stopped.every((r) => r.epochs.length < 9));
  assert.equal(s.ok + s.stopped, 18);
});
