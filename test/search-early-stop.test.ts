import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEarlyStopper, earlyStopRungs, simulateEarlyStopping } from '../lib/search/index.ts';

/** A loss curve that decays from `start` towards `floor`. */
const curve = (start: number, floor: number, epochs = 20) => Array.from({ length: epochs }, (_, i) => floor + (start - floor) * Math.exp(-i / 4));

test('rungs sit at 1, 3, 9 epochs for 20-epoch trials with reduction factor 3', () => {
  assert.deepEqual(earlyStopRungs(20), [1, 3, 9]);
  assert.deepEqual(earlyStopRungs(9), [1, 3]);
  assert.deepEqual(earlyStopRungs(1), []);
  assert.deepEqual(earlyStopRungs(20, { reductionFactor: 2, minEpochs: 2 }), [2, 4, 8, 16]);
  assert.deepEqual(earlyStopRungs(10, { rungs: [5, 2, 12] }), [2, 5]);
});

test('stops trials in the worst fraction at a rung and lets the best run to the end', () => {
  // Nine trials arriving best-first would never be stopped; arriving worst-first, later good
  // ones push the bad ones out. Here: good, bad, good, bad, … in turn.
  const curves: Record<string, number[]> = {};
  for (let i = 0; i < 9; i++) curves[`t${i}`] = i % 2 === 0 ? curve(1, 0.5 - i * 0.01) : curve(3 + i, 2.5 + i);
  const stopped = simulateEarlyStopping(curves);
  assert.equal(stopped.t0, null, 'the first trials are not judged against one another alone');
  for (const id of ['t3', 't5', 't7']) assert.ok(stopped[id] !== null && stopped[id]! <= 3, `${id} should stop at an early rung`);
  for (const id of ['t2', 't4', 't6', 't8']) assert.ok(stopped[id] === null || stopped[id]! >= 3, `${id} should survive the first rung`);
  assert.equal(stopped.t8, null, 'the best trial runs to the end');
});

test('with identical curves nothing is stopped (ties continue)', () => {
  const curves = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`t${i}`, curve(1, 0.5)]));
  assert.ok(Object.values(simulateEarlyStopping(curves)).every((e) => e === null));
});

test('a rung stops nobody until it has seen reductionFactor trials', () => {
  const s = createEarlyStopper(10);
  assert.equal(s.report('a', 1, 0.1), 'continue');
  assert.equal(s.report('b', 1, 9), 'continue');
  assert.equal(s.report('c', 1, 10), 'stop');
  assert.equal(s.report('c', 2, 0.01), 'continue', 'epochs between rungs are never judged');
  assert.deepEqual(s.stops.map((d) => [d.trialId, d.epoch, d.rank, d.seen, d.keep]), [['c', 1, 2, 3, 1]]);
});

test('a diverged trial (NaN loss) ranks last', () => {
  const s = createEarlyStopper(10, { minTrialsPerRung: 2 });
  s.report('a', 1, 1);
  assert.equal(s.report('b', 1, Number.NaN), 'stop');
});

test('recorded past results count at the rung without a decision (resume)', () => {
  const s = createEarlyStopper(10);
  s.record('a', 1, 0.1);
  s.record('b', 1, 0.2);
  assert.equal(s.stops.length, 0);
  assert.equal(s.report('c', 1, 5), 'stop');
});

test('rejects a reduction factor below 2', () => {
  assert.throws(() => createEarlyStopper(10, { reductionFactor: 1 }), /reductionFactor/);
});
