import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { canonicalJson } from '../lib/util/canonical.ts';
import { clusterSetupObjects, renderTemplates, kubernetesManifests, buildDataJob, EXAMPLE_SPECS } from '../lib/index.ts';
import type { KubeObject } from '../lib/cluster/types.ts';
import { SPECS_KEY } from '../lib/cluster/objects/configmap.ts';
import { checkTrialSpec } from '../lib/search/trial-worker.ts';
import type { Spec } from '../lib/spec/types.ts';

const K8S = join(import.meta.dirname, '..', 'k8s');

async function loadDocs(text: string): Promise<KubeObject[]> {
  const { loadAllYaml } = await import('@kubernetes/client-node');
  return JSON.parse(JSON.stringify(loadAllYaml(text)));
}

test('the YAML files in k8s/ are exactly what the builders make (regenerate: caplab cluster manifests --write k8s)', async () => {
  const files = renderTemplates();
  for (const [file, text] of Object.entries(files)) {
    const have = await readFile(join(K8S, file), 'utf8').catch(() => '(missing)');
    assert.equal(have, text, `k8s/${file} is out of date: run \`node bin/caplab.js cluster manifests --write k8s\``);
  }
});

test('k8s/ YAML reads back as the builders\' objects, and kustomization lists every setup file', async () => {
  const objs = clusterSetupObjects();
  const files = renderTemplates();
  const setup = [
    ...(await loadDocs(files['namespace.yaml'])),
    ...(await loadDocs(files['service-account.yaml'])),
    ...(await loadDocs(files['rbac.yaml'])),
    ...(await loadDocs(files['pvc.yaml'])),
  ];
  assert.deepEqual(setup, objs);
  const kustomization = (await loadDocs(files['kustomization.yaml']))[0] as unknown as { resources: string[] };
  const present = await readdir(K8S);
  for (const r of kustomization.resources) assert.ok(present.includes(r), `kustomization lists ${r}, which is not in k8s/`);
  const search = await loadDocs(files['templates/search-job.yaml']);
  assert.deepEqual(search, kubernetesManifests(EXAMPLE_SPECS, { experiment: 'example' }));
});

test('every object carries the app.kubernetes.io labels', () => {
  const all = [...clusterSetupObjects(), ...kubernetesManifests(EXAMPLE_SPECS), buildDataJob({ args: ['data', 'generate'] })];
  for (const o of all) {
    for (const key of ['name', 'component', 'part-of', 'managed-by', 'version']) {
      assert.ok(o.metadata.labels?.[`app.kubernetes.io/${key}`], `${o.kind} ${o.metadata.name} lacks app.kubernetes.io/${key}`);
    }
  }
});

const TYPE_OF: Record<string, string> = {
  'v1/Namespace': 'V1Namespace',
  'v1/ServiceAccount': 'V1ServiceAccount',
  'v1/PersistentVolumeClaim': 'V1PersistentVolumeClaim',
  'v1/ConfigMap': 'V1ConfigMap',
  'batch/v1/Job': 'V1Job',
  'rbac.authorization.k8s.io/v1/Role': 'V1Role',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'V1RoleBinding',
  'rbac.authorization.k8s.io/v1/ClusterRole': 'V1ClusterRole',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'V1ClusterRoleBinding',
};

function allManifests(): KubeObject[] {
  return [...clusterSetupObjects(), ...kubernetesManifests(EXAMPLE_SPECS), buildDataJob({ args: ['data', 'generate'] })];
}

test('manifests use only fields the Kubernetes API defines (no typo survives the API models)', async () => {
  // The client's models are generated from the Kubernetes OpenAPI spec; a field they do not
  // know is dropped on the round trip, so a misspelled field shows up as a difference.
  const require = createRequire(import.meta.url);
  const root = join(require.resolve('@kubernetes/client-node'), '..');
  const { ObjectSerializer } = (await import(join(root, 'gen/models/ObjectSerializer.js'))) as {
    ObjectSerializer: { serialize(o: unknown, t: string): unknown; deserialize(o: unknown, t: string): unknown };
  };
  for (const o of allManifests()) {
    const type = TYPE_OF[`${o.apiVersion}/${o.kind}`];
    assert.ok(type, `no model for ${o.apiVersion} ${o.kind}`);
    const round = ObjectSerializer.serialize(ObjectSerializer.deserialize(o, type), type);
    assert.equal(canonicalJson(round), canonicalJson(o), `${o.kind} ${o.metadata.name} has a field the API does not define`);
  }
  const typo = structuredClone(kubernetesManifests(EXAMPLE_SPECS)[1]) as KubeObject & { spec: { backofLimitPerIndex?: number } };
  typo.spec.backofLimitPerIndex = 1;
  assert.notEqual(canonicalJson(ObjectSerializer.serialize(ObjectSerializer.deserialize(typo, 'V1Job'), 'V1Job')), canonicalJson(typo));
});

// Schema validation against the Kubernetes API's OpenAPI schema (types, enums, required fields)
// through the kubernetes-models packages, a dev dependency.
let models: Record<string, Record<string, new (d: unknown) => { validate(): void }>> | null = null;
try {
  models = {
    v1: await import('kubernetes-models/v1' as string),
    'batch/v1': await import('kubernetes-models/batch/v1' as string),
    'rbac.authorization.k8s.io/v1': await import('kubernetes-models/rbac.authorization.k8s.io/v1' as string),
  };
} catch {
  models = null;
}

test('manifests validate against the Kubernetes API schema', { skip: models ? false : 'kubernetes-models is not installed (dev dependency)' }, () => {
  for (const o of allManifests()) {
    const Model = models![o.apiVersion]?.[o.kind];
    assert.ok(Model, `no schema for ${o.apiVersion} ${o.kind}`);
    assert.doesNotThrow(() => new Model(o).validate(), `${o.kind} ${o.metadata.name}`);
  }
  const bad = structuredClone(kubernetesManifests(EXAMPLE_SPECS)[1]) as KubeObject & { spec: { completionMode: string } };
  bad.spec.completionMode = 'indexed';
  assert.throws(() => new models!['batch/v1'].Job(bad).validate(), /completionMode/);
});

test('every spec in every generated template passes the worker\'s own check (so no example pod fails as bad-config)', async () => {
  const files = renderTemplates();
  let checked = 0;
  for (const [file, text] of Object.entries(files)) {
    for (const obj of await loadDocs(text)) {
      const data = (obj as KubeObject & { data?: Record<string, string> }).data;
      if (obj.kind !== 'ConfigMap' || !data?.[SPECS_KEY]) continue;
      for (const spec of JSON.parse(data[SPECS_KEY]) as Spec[]) {
        assert.equal(spec.kind, 'trial', `${file}: ${spec.id}`);
        assert.doesNotThrow(() => checkTrialSpec(spec), `${file}: spec ${spec.id} would fail in its pod`);
        checked++;
      }
    }
  }
  assert.equal(checked, EXAMPLE_SPECS.length);
});
