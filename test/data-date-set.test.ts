import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DateSet } from '../lib/data/date-set.ts';

test('a DateSet holds the same days as a Set, in order, and tells a day seen twice, wherever the days fall', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: -40_000, max: 80_000 }), { maxLength: 300 }), (days) => {
      const set = new DateSet();
      const seen = new Set<number>();
      for (const d of days) {
        assert.equal(set.add(d), !seen.has(d));
        seen.add(d);
      }
      assert.equal(set.size, seen.size);
      assert.deepEqual(Array.from(set.toArray()), [...seen].sort((a, b) => a - b));
    }),
  );
});
