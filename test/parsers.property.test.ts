/**
 * Property tests of the number and CSV parsers: whatever the input, an accepted value is finite
 * and in range, and a refused one is a CaplabError, never another exception.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCaplabError } from '../lib/index.ts';
import { parseNumber, type NumberRule } from '../lib/util/numbers.ts';
import { readOhlcvCsv, PRICE_RANGE, MAX_VOLUME } from '../lib/data/csv.ts';

/** Text that looks like numbers often, and like anything else sometimes. */
const numberish = fc.oneof(
  fc.string(),
  fc.double().map(String),
  fc.integer().map(String),
  fc.constantFrom('', ' 1', '1 ', '0x10', '0b1', '1e999', '-0', '.5', '5.', '1e-7', 'Infinity', 'NaN', '1_000', '١٢', '+3', '--1', '1e', '9007199254740993'),
  fc.tuple(fc.constantFrom('', '-', '+'), fc.nat(), fc.constantFrom('', '.', '.25', 'e3', 'E-2')).map(([s, n, t]) => `${s}${n}${t}`),
);

const rule: fc.Arbitrary<NumberRule> = fc.record(
  { integer: fc.boolean(), positive: fc.boolean(), min: fc.integer({ min: -1000, max: 1000 }), max: fc.integer({ min: -1000, max: 100000 }) },
  { requiredKeys: [] },
);

test('parseNumber: accepted ⇒ finite and within the rule; refused ⇒ a usage CaplabError', () => {
  fc.assert(
    fc.property(numberish, rule, (text, r) => {
      let v: number;
      try {
        v = parseNumber('--x', text, r);
      } catch (e) {
        assert.ok(isCaplabError(e, 'usage'), `not a caplab error for ${JSON.stringify(text)}: ${e}`);
        assert.match((e as Error).message, /^--x must be /);
        return;
      }
      assert.ok(Number.isFinite(v), `${text} → ${v}`);
      assert.match(text, /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/, 'only decimal text is accepted');
      if (r.integer) assert.ok(Number.isSafeInteger(v));
      if (r.positive) assert.ok(v > 0);
      if (r.min !== undefined) assert.ok(v >= r.min);
      if (r.max !== undefined) assert.ok(v <= r.max);
    }),
    { numRuns: 2000 },
  );
});

const price = fc.oneof(fc.double({ min: 0.5, max: 500, noNaN: true }).map((v) => v.toFixed(4)), numberish);
const row = fc.tuple(
  fc.oneof(fc.constantFrom('2020-01-02', '2020-01-03', '2020-01-06', '2020-02-30', 'soon'), fc.string({ maxLength: 12 })),
  price,
  price,
  price,
  price,
  fc.oneof(fc.nat().map(String), numberish),
  fc.constantFrom('AAA', 'BBB', '', '"Q,X"'),
);

test('readOhlcvCsv: every accepted row holds finite prices in range and in order; anything else is a CaplabError', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'caplab-prop-csv-'));
  try {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 12 }), fc.constantFrom('fill', 'skip'), fc.boolean(), async (rows, emptyOhl, skipBadRows) => {
        const file = join(dir, `p${n++}.csv`);
        await writeFile(file, ['date,open,high,low,close,volume,Name', ...rows.map((r) => r.join(','))].join('\n'));
        let read;
        try {
          read = await readOhlcvCsv([file], { emptyOhl: emptyOhl as 'fill' | 'skip', skipBadRows });
        } catch (e) {
          assert.ok(e instanceof Error && isCaplabError(e), `not a caplab error: ${e}`);
          return;
        }
        for (const t of read.tickers.values()) {
          for (let i = 0; i < t.date.length; i++) {
            const [o, h, l, c, v] = [t.open[i], t.high[i], t.low[i], t.close[i], t.volume[i]];
            for (const p of [o, h, l, c]) assert.ok(Number.isFinite(p) && p >= PRICE_RANGE.min && p <= PRICE_RANGE.max, `price ${p}`);
            assert.ok(Number.isFinite(v) && v >= 0 && v <= MAX_VOLUME, `volume ${v}`);
            assert.ok(l <= h, `low ${l} ≤ high ${h}`);
            assert.ok(Number.isFinite(t.date[i]));
          }
        }
      }),
      { numRuns: 300 },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
