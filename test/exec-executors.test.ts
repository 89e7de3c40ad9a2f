import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createExecutor, createPoolExecutor, createSequentialExecutor } from '../lib/exec/index.ts';
import type { ExecEvent, Spec } from '../lib/exec/types.ts';
import { createEarlyStopper } from '../lib/search/index.ts';

const noop = (id: string, payload: Record<string, unknown> = {}): Spec => ({ id, kind: 'noop', payload });

for (const name of ['sequential', 'pool'] as const) {
  test(`${name}: records a crashing, a throwing and an out-of-memory spec as failed with their reasons, and runs the rest`, async () => {
    const executor = await createExecutor(name, { workers: 2, nodeArgs: ['--max-old-space-size=32'] });
    const specs = [
      noop('ok-1'),
      noop('crash', { crash: 'exit' }),
      noop('throws', { fail: true }),
      noop('heap-oom', { allocateMiB: 256 }),
      noop('killed', { crash: 'kill' }),
      noop('bad', { fail: 'bad-config' }),
      noop('ok-2'),
    ];
    const events: ExecEvent[] = [];
    const results = await executor.run(specs, { onEvent: (e) => events.push(e) });
    assert.deepEqual(results.map((r) => r.id), specs.map((s) => s.id), 'one result per spec, in order');
    const by = Object.fromEntries(results.map((r) => [r.id, r]));
    assert.equal(by['ok-1'].status, 'ok');
    assert.equal(by['ok-2'].status, 'ok');
    assert.deepEqual([by.crash.status, by.crash.failure], ['failed', 'crash']);
    assert.match(by.crash.reason!, /exited with code 70/);
    assert.deepEqual([by.throws.failure, by.throws.reason], ['crash', 'noop spec throws asked to fail.']);
    assert.equal(by['heap-oom'].failure, 'oom');
    assert.match(by['heap-oom'].reason!, /heap/);
    assert.equal(by.killed.failure, 'oom');
    assert.match(by.killed.reason!, /SIGKILL/);
    assert.equal(by.bad.failure, 'bad-config');
    for (const r of results) {
      assert.equal(r.provenance.executor, name);
      assert.match(r.worker, name === 'pool' ? /^pool-[01]$/ : /^seq-0$/);
      assert.ok(r.seconds > 0 && r.startedAt <= r.finishedAt);
    }
    assert.equal(events.filter((e) => e.kind === 'started').length, specs.length);
    assert.equal(events.filter((e) => e.kind === 'finished').length, specs.length);
  });
}

test('the pool runs specs at the same time on its workers', async () => {
  const starts: string[] = [];
  const results = await createPoolExecutor({ workers: 2 }).run([noop('a', { sleepMs: 400 }), noop('b', { sleepMs: 400 })], {
    onEvent: (e) => void (e.kind === 'started' && starts.push(e.worker)),
  });
  assert.deepEqual(starts.sort(), ['pool-0', 'pool-1']);
  // Both ran at once: each started before the other finished.
  const [a, b] = results;
  assert.ok(a.startedAt < b.finishedAt && b.startedAt < a.finishedAt);
});

test('a spec stopped through onSpecProgress ends as stopped with failure early-stop', async () => {
  const results = await createSequentialExecutor().run([noop('c', { curve: [5, 4, 3, 2, 1], stepMs: 200 })], {
    onSpecProgress: (_id, data) => ((data as { epoch: number }).epoch >= 2 ? 'stop' : undefined),
  });
  assert.equal(results[0].status, 'stopped');
  assert.equal(results[0].failure, 'early-stop');
  assert.ok((results[0].result as { epochs: number }).epochs < 5);
});

test('early stopping on the pool stops the trial whose loss curve is worst at a rung', async () => {
  const stopper = createEarlyStopper(6, { rungs: [2], minTrialsPerRung: 2 });
  // A finished trial already at the rung, so the outcome does not hang on which child reports first.
  stopper.record('earlier', 2, 1.0);
  const specs = [
    noop('good', { curve: [1, 0.8, 0.7, 0.6, 0.5, 0.4], stepMs: 80 }),
    noop('bad', { curve: [5, 4.8, 4.7, 4.6, 4.5, 4.4], stepMs: 80 }),
  ];
  const results = await createPoolExecutor({ workers: 2 }).run(specs, {
    onSpecProgress: (id, data) => {
      const d = data as { epoch: number; valLoss: number };
      return stopper.report(id, d.epoch, d.valLoss) === 'stop' ? 'stop' : undefined;
    },
  });
  assert.equal(results[0].status, 'ok');
  assert.equal(results[1].status, 'stopped');
  assert.equal(results[1].failure, 'early-stop');
  assert.deepEqual(stopper.stops.map((s) => [s.trialId, s.epoch]), [['bad', 2]]);
});

test('an abort ends running specs and returns every unstarted one as stopped (cancelled)', async () => {
  const controller = new AbortController();
  const specs = [noop('long-1', { sleepMs: 20000 }), noop('long-2', { sleepMs: 20000 }), noop('never', {})];
  const run = createPoolExecutor({ workers: 2 }).run(specs, {
    signal: controller.signal,
    onEvent: (e) => void (e.kind === 'started' && e.id === 'long-2' && setTimeout(() => controller.abort(), 300)),
  });
  const results = await run;
  assert.deepEqual(results.map((r) => [r.status, r.failure]), [
    ['stopped', 'cancelled'],
    ['stopped', 'cancelled'],
    ['stopped', 'cancelled'],
  ]);
  assert.ok(results[0].seconds < 15, 'the running child was ended, not waited for');
});

test('rejects two specs with the same id', async () => {
  await assert.rejects(createSequentialExecutor().run([noop('x'), noop('x')]), /share the id "x"/);
});
