import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRng, seededUniform, STREAM, TRAIN_STREAM, type DataStream, type TrainStream } from '../lib/util/random.ts';

const DATA_IDS: DataStream[] = [STREAM.market, STREAM.sector, STREAM.ticker, STREAM.sample];
const TRAIN_IDS: TrainStream[] = Object.values(TRAIN_STREAM);

test('data and training stream ids never coincide', () => {
  const ids = [...DATA_IDS, ...TRAIN_IDS];
  assert.equal(new Set(ids).size, ids.length);
});

test('no stream of one seed and index runs into the start of another within 100k draws', () => {
  // Each stream's numbers as 32-bit words, so data (uniform in (0, 1)) and training ([0, 1)) compare.
  const words = (draw: () => number, n: number) => Array.from({ length: n }, () => Math.floor(draw() * 4294967296));
  const streams = [
    ...DATA_IDS.map((id) => { const r = seededRng(42, id, 3); return () => r.uniform(); }),
    ...TRAIN_IDS.map((id) => seededUniform(42, id, 3)),
  ];
  const long = streams.map((s) => words(s, 100_000));
  for (let a = 0; a < long.length; a++) {
    for (let b = 0; b < long.length; b++) {
      if (a === b) continue;
      // Two consecutive words of b's start found in a would mean a walks b's sequence.
      const [w0, w1] = long[b];
      for (let i = 0; i < long[a].length - 1; i++) assert.ok(long[a][i] !== w0 || long[a][i + 1] !== w1, `stream ${a} reaches the start of stream ${b}`);
    }
  }
});

test('a training stream is reproducible per (seed, stream, index) and continues from a restored state', () => {
  const take = (r: () => number, n: number) => Array.from({ length: n }, r);
  assert.deepEqual(take(seededUniform(7, STREAM.shuffle, 1), 5), take(seededUniform(7, STREAM.shuffle, 1), 5));
  assert.notDeepEqual(take(seededUniform(7, STREAM.shuffle, 1), 5), take(seededUniform(7, STREAM.shuffle, 2), 5));
  assert.notDeepEqual(take(seededUniform(7, STREAM.shuffle, 1), 5), take(seededUniform(8, STREAM.shuffle, 1), 5));
  assert.notDeepEqual(take(seededUniform(7, STREAM.shuffle, 1), 5), take(seededUniform(7, STREAM.dropout, 1), 5));
  const a = seededUniform(7, STREAM.shuffle, 1);
  take(a, 10);
  const b = seededUniform(99, STREAM.init);
  b.restore(a.state());
  assert.deepEqual(take(b, 5), take(a, 5));
  assert.throws(() => b.restore(2 ** 32), /not an unsigned 32-bit integer/);
  for (const u of take(a, 10_000)) assert.ok(u >= 0 && u < 1);
});
