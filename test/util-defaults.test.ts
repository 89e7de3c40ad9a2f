import { test } from 'node:test';
import assert from 'node:assert/strict';
import { definedOnly, withDefaults } from '../lib/util/defaults.ts';

test('withDefaults spreads the defaults first and lets every defined option win', () => {
  assert.deepEqual(withDefaults({ a: 1, b: 'x' }, { b: 'y', c: true }), { a: 1, b: 'y', c: true });
});

test('an option passed as undefined keeps its default; null, 0, false and "" are values', () => {
  assert.deepEqual(withDefaults({ a: 1, b: 2, c: 3, d: 4, e: 5 }, { a: undefined, b: null, c: 0, d: false, e: '' }), { a: 1, b: null, c: 0, d: false, e: '' });
  assert.deepEqual(withDefaults({ a: 1 }, undefined), { a: 1 });
});

test('definedOnly drops undefined keys and leaves the input alone', () => {
  const input = { a: undefined, b: 1 };
  assert.deepEqual(Object.keys(definedOnly(input)), ['b']);
  assert.ok('a' in input);
});
