import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildGroup, type TickerSource } from '../lib/data/group-build.ts';
import { featureScratch, WARMUP } from '../lib/data/features.ts';
import { allocSeries, marketFactors, simulateTicker } from '../lib/data/market.ts';
import { dateSplit } from '../lib/data/split.ts';
import { isCaplabError } from '../lib/index.ts';

/** Two simulated tickers of 100 row days; ticker 1's close on day `badDay` is replaced by `value`. */
function source(badDay: number, value: number): TickerSource {
  const n = WARMUP + 100 + 1;
  const factors = marketFactors(1, n);
  const s = allocSeries(n);
  return {
    count: 2,
    days: () => ({ day: s.day, n }),
    load: (t) => {
      simulateTicker(1, t, factors, s);
      if (t === 1) s.close[badDay] = value;
      return s;
    },
    where: (t, day) => `prices.csv ticker ${t} row ${day}`,
  };
}

for (const [what, value] of [['an infinite', Infinity], ['a NaN', NaN], ['a zero', 0]] as const) {
  test(`${what} close makes the day before's target non-finite: the build fails naming where that row came from`, async () => {
    const split = dateSplit(WARMUP, WARMUP + 100);
    await assert.rejects(buildGroup(source(WARMUP + 10, value), 0, [0, 1], split, featureScratch()), (e) => {
      assert.ok(isCaplabError(e, 'data-nonfinite'), String(e));
      assert.match((e as Error).message, /^prices\.csv ticker 1 row 69: the row's next_return is not a finite number/);
      return true;
    });
  });
}

test('finite prices build every row of the group', async () => {
  const split = dateSplit(WARMUP, WARMUP + 100);
  const shards = await buildGroup(source(WARMUP + 10, 123.4), 0, [0, 1], split, featureScratch());
  assert.equal(shards.reduce((a, sh) => a + sh.rows, 0), 2 * 100 - 2 * 2);
  for (const sh of shards) assert.ok(sh.x.data.every(Number.isFinite) && sh.y.data.every(Number.isFinite));
});
