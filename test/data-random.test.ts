import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRng, STREAM, type DataStream } from '../lib/util/random.ts';

test('normals have mean 0, variance 1 and normal tails', () => {
  const r = seededRng(42, STREAM.sample, 1);
  const n = 1_000_000;
  let s1 = 0;
  let s2 = 0;
  let below1 = 0;
  let beyond3 = 0;
  for (let i = 0; i < n; i++) {
    const x = r.normal();
    s1 += x;
    s2 += x * x;
    if (x < -1) below1++;
    if (Math.abs(x) > 3) beyond3++;
  }
  // Five standard errors of each estimate at n = 1e6.
  assert.ok(Math.abs(s1 / n) < 0.005);
  assert.ok(Math.abs(s2 / n - 1) < 0.007);
  assert.ok(Math.abs(below1 / n - 0.158655) < 0.0019);
  assert.ok(Math.abs(beyond3 / n - 0.0026998) < 0.00026);
});

test('uniforms stay inside (0, 1) and fill it evenly', () => {
  const r = seededRng(7, STREAM.sample);
  const bins = new Array(10).fill(0);
  for (let i = 0; i < 100_000; i++) {
    const u = r.uniform();
    assert.ok(u > 0 && u < 1);
    bins[Math.floor(u * 10)]++;
  }
  for (const b of bins) assert.ok(Math.abs(b - 10_000) < 500);
});

test('each (seed, stream, index) is its own reproducible stream', () => {
  const draw = (seed: number, stream: DataStream, index: number) => {
    const r = seededRng(seed, stream, index);
    return Array.from({ length: 8 }, () => r.normal());
  };
  assert.deepEqual(draw(1, STREAM.ticker, 5), draw(1, STREAM.ticker, 5));
  assert.notDeepEqual(draw(1, STREAM.ticker, 5), draw(1, STREAM.ticker, 6));
  assert.notDeepEqual(draw(1, STREAM.ticker, 5), draw(2, STREAM.ticker, 5));
  assert.notDeepEqual(draw(1, STREAM.ticker, 0), draw(1, STREAM.market, 0));
  // Seeds above 2^32 use their high bits too.
  assert.notDeepEqual(draw(2 ** 32 + 1, STREAM.ticker, 0), draw(1, STREAM.ticker, 0));
});
