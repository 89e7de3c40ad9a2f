import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSearchSpace, expandSearchSpace, loadSearchSpace, searchSpaceSize, trialId, type SearchSpace } from '../lib/search/index.ts';
import { isCaplabError } from '../lib/errors.ts';

const randomSpace: SearchSpace = {
  type: 'random',
  params: { learningRate: { min: 1e-5, max: 1e-1, log: true }, hidden: { min: 8, max: 512 }, dropout: { min: 0, max: 0.5 }, batchSize: [16, 32, 64] },
  fixed: { epochs: 2 },
  trials: 12,
  seed: 7,
};

function rejects(space: unknown, pattern: RegExp) {
  assert.throws(
    () => expandSearchSpace(space as SearchSpace),
    (e: unknown) => isCaplabError(e, 'bad-space') && pattern.test((e as Error).message),
  );
}

test('the default grid has the demo’s 18 configurations with distinct, stable ids', () => {
  const trials = expandSearchSpace(defaultSearchSpace('full'));
  assert.equal(trials.length, 18);
  assert.equal(searchSpaceSize(defaultSearchSpace('full')), 18);
  assert.equal(new Set(trials.map((t) => t.id)).size, 18);
  assert.deepEqual([...new Set(trials.map((t) => t.config.hidden[0]))], [64, 128, 256]);
  assert.deepEqual([...new Set(trials.map((t) => t.config.learningRate))].sort(), [1e-3, 1e-4].sort());
  assert.deepEqual([...new Set(trials.map((t) => t.config.batchSize))], [16, 32, 64]);
  assert.ok(trials.every((t) => t.config.dropout === 0.1 && t.config.epochs === 20));
  // Ids depend on the config only, not on key order or the run.
  const t0 = trials[0];
  const shuffled = Object.fromEntries(Object.entries(t0.config).reverse()) as typeof t0.config;
  assert.equal(trialId(shuffled), t0.id);
  assert.deepEqual(expandSearchSpace(defaultSearchSpace('full')).map((t) => t.id), trials.map((t) => t.id));
});

test('the default grid takes its epochs from the size preset', () => {
  assert.ok(expandSearchSpace(defaultSearchSpace('tiny')).every((t) => t.config.epochs === 1));
  assert.ok(expandSearchSpace(defaultSearchSpace('quick')).every((t) => t.config.epochs < 20));
});

test('random sampling is determined by its seed', () => {
  const a = expandSearchSpace(randomSpace);
  const b = expandSearchSpace(structuredClone(randomSpace));
  const c = expandSearchSpace({ ...randomSpace, seed: 8 });
  assert.equal(a.length, 12);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.map((t) => t.id), c.map((t) => t.id));
  // The order the file lists parameters in does not change the samples.
  const reordered = { ...randomSpace, params: Object.fromEntries(Object.entries(randomSpace.params).reverse()) };
  assert.deepEqual(expandSearchSpace(reordered), a);
});

test('random ranges stay inside their bounds, log-uniform ones spread over decades, integer fields are integers', () => {
  const trials = expandSearchSpace({ ...randomSpace, trials: 200 });
  const lrs = trials.map((t) => t.config.learningRate);
  assert.ok(lrs.every((v) => v >= 1e-5 && v <= 1e-1));
  // Log-uniform: about a quarter of samples in each of the four decades, not 90% in the top one.
  const lowDecades = lrs.filter((v) => v < 1e-3).length / lrs.length;
  assert.ok(lowDecades > 0.3 && lowDecades < 0.7, `share below 1e-3: ${lowDecades}`);
  assert.ok(trials.every((t) => t.config.hidden.length === 1 && Number.isInteger(t.config.hidden[0]) && t.config.hidden[0] >= 8 && t.config.hidden[0] <= 512));
  assert.ok(trials.every((t) => t.config.dropout >= 0 && t.config.dropout <= 0.5));
});

test('a random space with fewer distinct points than trials gives each point once', () => {
  const trials = expandSearchSpace({ type: 'random', params: { batchSize: [16, 32] }, trials: 10, seed: 1 });
  assert.equal(trials.length, 2);
});

test('rejects an unknown parameter, naming it and the known ones', () => {
  rejects({ type: 'grid', params: { hiddenUnits: [64] } }, /unknown parameter "hiddenUnits"/);
  rejects({ type: 'grid', params: {}, fixed: { momentum: 0.9 } }, /unknown parameter "momentum"/);
});

test('rejects a grid of zero points and an empty range', () => {
  rejects({ type: 'grid', params: { batchSize: [] } }, /no values.*zero points/);
  rejects({ type: 'random', params: { learningRate: { min: 0.1, max: 0.01 } }, trials: 3 }, /empty range/);
  rejects({ type: 'random', params: { batchSize: { min: 16.2, max: 16.8 } }, trials: 3 }, /empty range.*integers/);
});

test('rejects other malformed spaces before anything runs', () => {
  rejects({ type: 'sweep', params: {} }, /"type"/);
  rejects({ type: 'grid', params: { learningRate: { min: 1e-4, max: 1e-2 } } }, /range, which a grid cannot enumerate/);
  rejects({ type: 'random', params: { batchSize: [16] } }, /needs "trials"/);
  rejects({ type: 'random', params: { learningRate: { min: 0, max: 1, log: true } }, trials: 2 }, /log-uniform/);
  rejects({ type: 'grid', params: { activation: { values: ['relu'] } }, fixed: { activation: 'tanh' } }, /both a parameter and fixed/);
  rejects({ type: 'grid', params: { learningRate: [-1] } }, /invalid.*learningRate/);
});

test('loads a space from a JSON file and applies --epochs and --trials overrides', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'caplab-space-'));
  try {
    const file = join(dir, 'space.json');
    await writeFile(file, JSON.stringify({ type: 'grid', params: { hidden: [32, 64], batchSize: [8, 16] }, fixed: { epochs: 5 } }));
    const space = await loadSearchSpace(file, { epochs: 2, trials: 3 });
    const trials = expandSearchSpace(space);
    assert.equal(trials.length, 3);
    assert.deepEqual(trials[0].config.hidden, [32]);
    assert.ok(trials.every((t) => t.config.epochs === 2));
    await writeFile(file, '{"type": "grid",');
    await assert.rejects(loadSearchSpace(file), /not valid JSON/);
    await assert.rejects(loadSearchSpace(join(dir, 'missing.json')), /Cannot read search space file/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('loads a YAML space file when js-yaml is available', async (t) => {
  try {
    await import('js-yaml' as string);
  } catch {
    t.skip('js-yaml is not installed');
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'caplab-space-'));
  try {
    const file = join(dir, 'space.yaml');
    await writeFile(file, 'type: random\ntrials: 4\nseed: 3\nparams:\n  learningRate: {min: 0.0001, max: 0.01, log: true}\n  batchSize: [16, 32]\n');
    assert.equal(expandSearchSpace(await loadSearchSpace(file)).length, 4);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
