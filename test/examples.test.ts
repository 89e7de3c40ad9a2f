import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { examplePath, EXAMPLE_FILES } from '../lib/examples.ts';
import { defaultSearchSpace, expandSearchSpace, loadSearchSpace } from '../lib/search/index.ts';
import { canonicalJson as stableStringify } from '../lib/util/canonical.ts';
import { loadTrainingPlan } from '../lib/cluster/plan-file.ts';

test('the example grid file is the default 18-configuration grid, trial for trial', async () => {
  for (const preset of ['tiny', 'quick', 'full']) {
    const fromFile = await loadSearchSpace(examplePath(EXAMPLE_FILES.grid), { epochs: defaultSearchSpace(preset).fixed!.epochs });
    assert.equal(stableStringify(fromFile), stableStringify(await loadSearchSpace('default', { preset })), preset);
    assert.deepEqual(expandSearchSpace(fromFile).map((t) => t.id), expandSearchSpace(defaultSearchSpace(preset)).map((t) => t.id));
  }
});

test('the example random space draws 120 trials, learning rates log-uniform over three decades', async () => {
  const space = await loadSearchSpace(examplePath(EXAMPLE_FILES.random));
  const trials = expandSearchSpace(space);
  assert.equal(trials.length, 120);
  const decades = [0, 0, 0];
  for (const t of trials) {
    assert.ok(t.config.learningRate >= 1e-5 && t.config.learningRate <= 1e-2, String(t.config.learningRate));
    decades[Math.min(2, Math.floor(Math.log10(t.config.learningRate) + 5))]++;
  }
  // Uniform sampling would put ~90 % in the top decade; log-uniform gives each about a third.
  for (const n of decades) assert.ok(n >= 25 && n <= 55, `decade counts ${decades}`);
  assert.deepEqual(expandSearchSpace(await loadSearchSpace(examplePath(EXAMPLE_FILES.random))).map((t) => t.id), trials.map((t) => t.id), 'seeded: the same trials every time');
});

test('the large-scale training plan loads with its scale, ranks and pod size; a wrong field is named', async () => {
  const plan = await loadTrainingPlan(examplePath(EXAMPLE_FILES.trainLarge));
  assert.deepEqual(plan.data, { scale: 200, tickers: 100, days: 1260, seed: 42 });
  assert.equal(plan.ranks, 4);
  assert.deepEqual(plan.pod, { cpu: '1', memory: '3Gi', memoryBytes: 3 * 1024 ** 3 });
  assert.equal(plan.model.batchSize, 256);
  const dir = await mkdtemp(join(tmpdir(), 'caplab-plan-'));
  try {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'data: {scale: 10}\nranks: 0\n');
    await assert.rejects(loadTrainingPlan(bad), /bad\.yaml: ranks is 0; it must be a positive integer/);
    await writeFile(bad, 'data: {scale: 10}\npod: {memory: lots}\n');
    await assert.rejects(loadTrainingPlan(bad), /pod\.memory "lots" is not a memory amount/);
    await writeFile(bad, 'data: {scale: 10}\nreplicas: 3\n');
    await assert.rejects(loadTrainingPlan(bad), /replicas is 3; it must be one of data, model, ranks, pod/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
