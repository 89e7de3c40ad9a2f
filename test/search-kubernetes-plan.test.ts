/** What a kubernetes search sends its pods, read from the dry run's manifests (no cluster needed). */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAllYaml } from '@kubernetes/client-node';
import { generateDataset, runSearch, type SearchOptions, type Spec } from '../lib/index.ts';
import { SPECS_KEY } from '../lib/cluster/objects/configmap.ts';

let root: string;
let data: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'caplab-k8s-plan-'));
  data = (await generateDataset({ out: join(root, 'data'), tickers: 4, days: 120, seed: 3 })).path;
});
after(() => rm(root, { recursive: true, force: true }));

async function plannedSpecs(extra: Partial<SearchOptions>): Promise<{ specs: Spec[]; yaml: string }> {
  let yaml = '';
  await runSearch({
    data,
    out: join(root, 'out'),
    trials: 2,
    executor: 'kubernetes',
    dryRun: true,
    executorOptions: { kubernetes: { output: (y) => (yaml += y) } },
    ...extra,
  });
  const configMap = (loadAllYaml(yaml) as Array<{ kind: string; data?: Record<string, string> }>).find((o) => o.kind === 'ConfigMap')!;
  return { specs: JSON.parse(configMap.data![SPECS_KEY]), yaml };
}

test('a kubernetes search with dataRef left undefined sends pods the synthetic dataset to regenerate, not this machine\'s path', async () => {
  const { specs, yaml } = await plannedSpecs({ dataRef: undefined });
  assert.equal(specs.length, 2);
  for (const s of specs) assert.ok('synthetic' in (s.payload as { data: object }).data, JSON.stringify(s.payload));
  assert.ok(!yaml.includes(data), 'the local dataset path reached the manifests');
});

test('a kubernetes search with dataRef omitted plans the same specs as with dataRef undefined', async () => {
  const omitted = await plannedSpecs({});
  const undef = await plannedSpecs({ dataRef: undefined });
  assert.deepEqual(undef.specs, omitted.specs);
});
