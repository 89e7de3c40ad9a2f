import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MODEL_CONFIG, validateModelConfig } from '../lib/train/config.ts';
import { isCaplabError } from '../lib/errors.ts';

test('fills every missing field from the defaults', () => {
  assert.deepEqual(validateModelConfig({}), DEFAULT_MODEL_CONFIG);
  assert.deepEqual(validateModelConfig({ hidden: [8], epochs: 2 }), { ...DEFAULT_MODEL_CONFIG, hidden: [8], epochs: 2 });
});

test('treats undefined fields as missing', () => {
  assert.equal(validateModelConfig({ dropout: undefined }).dropout, DEFAULT_MODEL_CONFIG.dropout);
});

const badCases: Array<[string, Record<string, unknown>]> = [
  ['hidden', { hidden: [64, 0] }],
  ['hidden', { hidden: [1.5] }],
  ['activation', { activation: 'sigmoid' }],
  ['dropout', { dropout: 1 }],
  ['dropout', { dropout: -0.1 }],
  ['learningRate', { learningRate: 0 }],
  ['batchSize', { batchSize: 0 }],
  ['epochs', { epochs: 2.5 }],
  ['optimizer', { optimizer: 'adagrad' }],
  ['seed', { seed: -1 }],
  ['hiddenUnits', { hiddenUnits: [3] }],
];

for (const [field, partial] of badCases) {
  test(`rejects ${JSON.stringify(partial)} with a bad-config error naming "${field}"`, () => {
    assert.throws(
      () => validateModelConfig(partial as never),
      (e: unknown) => isCaplabError(e, 'bad-config') && e.message.includes(`"${field}"`),
    );
  });
}

test('accepts an empty hidden list: a linear regression', () => {
  assert.deepEqual(validateModelConfig({ hidden: [] }).hidden, []);
});
