import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWorkerSpec } from '../lib/cli/worker.ts';
import { createPoolExecutor, createSequentialExecutor } from '../lib/exec/index.ts';
import { readProcMemory, resetPeakMemory } from '../lib/exec/proc.ts';
import type { Spec, SpecResult } from '../lib/exec/types.ts';
import { tf } from '../lib/train/tf.ts';
import type { TrainResult } from '../lib/train/types.ts';
import { writeTinyDataset } from './helpers/tiny-dataset.ts';

const noop = (id: string, payload: Record<string, unknown> = {}): Spec => ({ id, kind: 'noop', payload });
const pidOf = (r: SpecResult) => (r.result as { pid: number }).pid;

let root: string;
let data: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'caplab-reuse-'));
  data = join(root, 'data');
  await writeTinyDataset(data, { rows: { train: 200, validation: 50, test: 50 } });
});
after(() => rm(root, { recursive: true, force: true }));

const trial = (id: string, seed: number, extra: Record<string, unknown> = {}): Spec => ({
  id,
  kind: 'trial',
  payload: { config: { hidden: [8], epochs: 2, batchSize: 32, seed, dropout: 0.1, ...extra }, data: { dir: data }, backend: 'cpu' },
});

/** What a trial's outcome is, without its timings. */
function outcome(r: SpecResult): unknown {
  const t = r.result as TrainResult;
  return { status: r.status, losses: t.epochs.map((e) => [e.loss, e.valLoss]), bestEpoch: t.bestEpoch, metrics: t.metrics };
}

test('the sequential executor runs spec after spec in one worker process while each ends cleanly', async () => {
  const results = await createSequentialExecutor().run([noop('a'), noop('b', { fail: 'bad-config' }), noop('c', { curve: [3, 2] })]);
  assert.deepEqual(results.map((r) => r.status), ['ok', 'failed', 'ok']);
  assert.equal(pidOf(results[0]), pidOf(results[2]), 'a and c ran in the same process, the bad config between them too');
  // The process lived on after each spec, so no exit is recorded for any of them.
  assert.deepEqual(results.map((r) => r.exit), [undefined, undefined, undefined]);
});

test('a worker that crashed, threw or was killed is not reused: the next spec gets a new process', async () => {
  const results = await createSequentialExecutor().run([
    noop('first'),
    noop('dies', { crash: 'exit' }),
    noop('after-death'),
    noop('throws', { fail: true }),
    noop('after-throw'),
    noop('killed', { crash: 'kill' }),
    noop('after-kill'),
  ]);
  const by = Object.fromEntries(results.map((r) => [r.id, r]));
  assert.deepEqual([by.dies.failure, by.dies.exit], ['crash', { code: 70, signal: null }]);
  assert.equal(by.throws.failure, 'crash');
  assert.deepEqual(by.throws.exit, { code: 1, signal: null }, 'a serving worker ends after a failure, with a one-spec worker\'s exit code');
  assert.deepEqual(by.killed.exit, { code: null, signal: 'SIGKILL' });
  const pids = ['first', 'after-death', 'after-throw', 'after-kill'].map((id) => pidOf(by[id]));
  assert.equal(new Set(pids).size, 4, `each of ${pids.join(', ')} is its own process`);
});

test('with reuseWorkers false every spec gets a process of its own', async () => {
  const results = await createPoolExecutor({ workers: 2, reuseWorkers: false }).run([noop('a'), noop('b'), noop('c'), noop('d')]);
  assert.equal(new Set(results.map(pidOf)).size, 4);
  for (const r of results) assert.deepEqual(r.exit, { code: 0, signal: null });
});

test('the pool keeps one serving process per worker slot', async () => {
  const specs = Array.from({ length: 6 }, (_, i) => noop(`n${i}`));
  const results = await createPoolExecutor({ workers: 2 }).run(specs);
  const pidsBySlot = new Map<string, Set<number>>();
  for (const r of results) pidsBySlot.set(r.worker, (pidsBySlot.get(r.worker) ?? new Set()).add(pidOf(r)));
  for (const [slot, pids] of pidsBySlot) assert.equal(pids.size, 1, `${slot} used one process`);
  assert.ok(results.every((r) => r.status === 'ok'));
});

test('an early-stopped spec leaves its worker to run the next spec; a stop reaches only the spec it names', async () => {
  const results = await createSequentialExecutor().run([noop('stopped', { curve: [5, 4, 3, 2, 1], stepMs: 100 }), noop('next', { curve: [1, 1] })], {
    onSpecProgress: (id, data) => (id === 'stopped' && (data as { epoch: number }).epoch >= 2 ? 'stop' : undefined),
  });
  assert.deepEqual([results[0].status, results[0].failure], ['stopped', 'early-stop']);
  assert.ok((results[0].result as { epochs: number }).epochs < 5);
  assert.equal(results[1].status, 'ok');
  assert.equal((results[1].result as { epochs: number }).epochs, 2);
  assert.equal(pidOf(results[1]), pidOf(results[0]), 'the stopped spec\'s process ran the next one');
});

test('under a memory budget every spec gets a process of its own, and the spec over it is killed', async () => {
  const results = await createSequentialExecutor({ memory: { budgetBytes: 200 * 1024 * 1024, sampleMs: 10 } }).run([
    noop('small'),
    noop('hog', { allocateMiB: 400 }),
    noop('after'),
  ]);
  assert.equal(results[0].status, 'ok');
  assert.equal(results[1].status, 'failed');
  assert.ok(['over-budget', 'oom'].includes(results[1].failure!), `${results[1].failure}: ${results[1].reason}`);
  assert.equal(results[2].status, 'ok');
  assert.notEqual(pidOf(results[2]), pidOf(results[0]));
  for (const r of [results[0], results[2]]) assert.deepEqual(r.exit, { code: 0, signal: null }, `${r.id} ran in a process that then exited`);
  for (const r of results) assert.ok((r.peakRssBytes ?? 0) > 0, `${r.id} has a measured peak`);
});

test('a reused worker measures each spec\'s own peak', async () => {
  const results = await createSequentialExecutor({ memory: { sampleMs: 10 } }).run([noop('a'), noop('b', { curve: [1, 2, 3], stepMs: 30 })]);
  assert.equal(pidOf(results[0]), pidOf(results[1]));
  for (const r of results) assert.ok((r.peakRssBytes ?? 0) > 10 * 1024 * 1024, `${r.id}: a peak ${r.peakRssBytes} of a live Node process`);
});

test('resetting a process peak starts the high-water mark again at its resident memory', async () => {
  // Allocates 120 MiB, frees it, then says so: its peak stays high while its resident memory drops.
  const code = 'let a = Buffer.alloc(120 << 20, 1); a = null; globalThis.gc(); console.log("freed"); setInterval(() => {}, 1000);';
  const child = spawn(process.execPath, ['--expose-gc', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await once(child.stdout, 'data');
    const before = (await readProcMemory(child.pid!))!;
    assert.ok(before.hwmBytes - before.rssBytes > 80 * 1024 * 1024, `peak ${before.hwmBytes} well above resident ${before.rssBytes}`);
    assert.equal(await resetPeakMemory(child.pid!), true);
    const after = (await readProcMemory(child.pid!))!;
    assert.ok(after.hwmBytes < before.hwmBytes - 80 * 1024 * 1024, `peak after the reset ${after.hwmBytes} < ${before.hwmBytes}`);
  } finally {
    child.kill('SIGKILL');
  }
});

test('trials give the same losses and metrics with worker reuse on and off (same seeds, any process)', async () => {
  // Seeds in an order where a reused process runs seed 1 after other seeds have trained in it.
  const specs = [trial('s2', 2), trial('s1', 1), trial('s3', 3, { optimizer: 'sgd' }), trial('s1-again', 1)];
  const reused = await createSequentialExecutor().run(specs);
  const fresh = await createSequentialExecutor({ reuseWorkers: false }).run(specs);
  assert.ok(reused.every((r) => r.status === 'ok' && r.exit === undefined), 'every trial ran in the one reused process');
  assert.ok(fresh.every((r) => r.status === 'ok' && r.exit?.code === 0), 'every trial ran in its own process');
  assert.deepEqual(reused.map(outcome), fresh.map(outcome));
  assert.deepEqual(outcome(reused[3]), outcome(reused[1]), 'seed 1 after other trials in the same process = seed 1 first');
});

/** Runs a spec in this process as a serving worker would, its protocol lines kept off the test's output. */
async function runHere(spec: Spec) {
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return await runWorkerSpec(spec);
  } finally {
    process.stdout.write = write;
  }
}

test('a trial leaves no tensors behind in its process, so the next trial in it starts from the same tfjs state', async () => {
  const first = await runHere(trial('t1', 5));
  const tensorsAfterFirst = tf.memory().numTensors;
  const other = await runHere(trial('t2', 6, { hidden: [16, 4], optimizer: 'rmsprop' }));
  const again = await runHere(trial('t1', 5));
  assert.deepEqual([first.status, other.status, again.status], ['ok', 'ok', 'ok']);
  assert.equal(tf.memory().numTensors, tensorsAfterFirst, 'the tensor count is back where it was');
  assert.deepEqual(outcome({ ...again, worker: '', provenance: again.provenance! } as SpecResult), outcome({ ...first, worker: '', provenance: first.provenance! } as SpecResult));
});
