import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDataJob, kubernetesManifests, EXIT_BAD_CONFIG, isCaplabError, type Spec } from '../lib/index.ts';
import { kubernetesManifestsYaml } from '../lib/cluster/manifests.ts';
import { buildSearchJob, buildWorkerPodTemplate, buildIndexedJob, buildSpecsConfigMap, searchJobName, parseKubeCpu as parseCpu, parseKubeMemory as parseMemory, kubeCpu as cpu, kubeMemory as memory, kubeDuration as duration, cpuQuantity, memoryQuantity, parseKubeQuantity as parseQuantity, CAPLAB_ANNOTATIONS as ANNOTATION, CAPLAB_LABELS as LABEL } from '../lib/cluster/index.ts';

const specs = (n: number, extra: object = {}): Spec[] =>
  Array.from({ length: n }, (_, i) => ({ id: `t${i}`, kind: 'noop', payload: { sleepMs: 0, ...extra } }));

test('a search Job is Indexed with one completion per spec and everything in parallel by default', () => {
  const { job, configMap, name } = buildSearchJob(specs(18), { experiment: 'grid' });
  assert.equal(job.spec.completionMode, 'Indexed');
  assert.equal(job.spec.completions, 18);
  assert.equal(job.spec.parallelism, 18);
  assert.equal(job.spec.backoffLimitPerIndex, 0);
  assert.equal(job.spec.ttlSecondsAfterFinished, 3600);
  assert.equal(job.spec.activeDeadlineSeconds, undefined);
  assert.equal(job.spec.template.spec.restartPolicy, 'Never');
  assert.equal(configMap.metadata.name, name);
  assert.match(name, /^caplab-grid-[0-9a-f]{8}$/);
  assert.ok(name.length <= 52);
});

test('the pod failure policy ignores disruptions first and fails only the index on a bad-config exit', () => {
  const { job } = buildSearchJob(specs(2));
  assert.deepEqual(job.spec.podFailurePolicy, {
    rules: [
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
      { action: 'FailIndex', onExitCodes: { containerName: 'worker', operator: 'In', values: [EXIT_BAD_CONFIG] } },
    ],
  });
});

test('workers run with the restricted security profile, no API token and scratch on an emptyDir', () => {
  const t = buildWorkerPodTemplate();
  const c = t.spec.containers[0];
  assert.equal(t.spec.automountServiceAccountToken, false);
  assert.equal(t.spec.serviceAccountName, 'caplab-worker');
  assert.deepEqual(t.spec.securityContext.seccompProfile, { type: 'RuntimeDefault' });
  assert.equal(t.spec.securityContext.runAsNonRoot, true);
  assert.deepEqual(c.securityContext, {
    runAsNonRoot: true,
    runAsUser: 1000,
    runAsGroup: 1000,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  });
  assert.deepEqual(c.volumeMounts.map((m) => m.mountPath), ['/scratch', '/tmp']);
  assert.deepEqual(t.spec.volumes.map((v) => Object.keys(v)[1]), ['emptyDir', 'emptyDir']);
  assert.equal(c.env.find((e) => e.name === 'CAPLAB_SCRATCH')?.value, '/scratch');
  assert.deepEqual(c.command, ['caplab', 'worker']);
});

test('requests and limits are always set, from units or from strings', () => {
  const d = buildWorkerPodTemplate().spec.containers[0].resources;
  assert.deepEqual(d, { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } });
  const r = buildWorkerPodTemplate({ cpu: cpu.millis(500), memory: '512Mi' }).spec.containers[0].resources;
  assert.deepEqual(r, { requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '500m', memory: '512Mi' } });
  const g = buildWorkerPodTemplate({ cpu: '2', memory: memory.gibibytes(3), cpuLimit: 4 }).spec.containers[0].resources;
  assert.deepEqual(g.limits, { cpu: '4', memory: '3Gi' });
});

test('the specs ride in a ConfigMap that every pod reads as CAPLAB_SPECS', () => {
  const s = specs(3);
  const { job, configMap, name } = buildSearchJob(s);
  assert.deepEqual(JSON.parse(configMap.data['specs.json']), s);
  const env = job.spec.template.spec.containers[0].env.find((e) => e.name === 'CAPLAB_SPECS');
  assert.deepEqual(env?.valueFrom, { configMapKeyRef: { name, key: 'specs.json' } });
});

test('labels carry app.kubernetes.io names, the experiment and the Job; annotations the spec hash', () => {
  const { job, configMap, name, specHash } = buildSearchJob(specs(2), { experiment: 'My Grid #1' });
  for (const labels of [job.metadata.labels!, job.spec.template.metadata.labels, configMap.metadata.labels!]) {
    assert.equal(labels['app.kubernetes.io/name'], 'caplab');
    assert.equal(labels['app.kubernetes.io/part-of'], 'caplab');
    assert.equal(labels['app.kubernetes.io/managed-by'], 'caplab');
    assert.equal(labels[LABEL.job], name);
    assert.equal(labels[LABEL.experiment], 'My-Grid-1');
  }
  assert.equal(job.metadata.annotations![ANNOTATION.specHash], specHash);
  assert.match(specHash, /^[0-9a-f]{64}$/);
});

test('the Job name depends on the experiment and the spec ids, the spec hash on everything else', () => {
  const a = buildSearchJob(specs(3), { experiment: 'e' });
  const sameIdsOtherPayload = buildSearchJob(specs(3, { sleepMs: 5 }), { experiment: 'e' });
  const otherImage = buildSearchJob(specs(3), { experiment: 'e', image: 'x/caplab:2' });
  const subset = buildSearchJob(specs(3).slice(1), { experiment: 'e' });
  assert.equal(a.name, sameIdsOtherPayload.name);
  assert.notEqual(a.specHash, sameIdsOtherPayload.specHash);
  assert.equal(a.name, otherImage.name);
  assert.notEqual(a.specHash, otherImage.specHash);
  assert.notEqual(a.name, subset.name);
  assert.equal(buildSearchJob(specs(3), { experiment: 'e' }).specHash, a.specHash);
  assert.equal(searchJobName([...specs(3)].reverse(), 'e'), a.name);
});

test('a long experiment id still gives a Job name short enough for pod hostnames', () => {
  const name = searchJobName(specs(1), 'caplab-' + 'x'.repeat(100));
  assert.ok(name.length <= 52, name);
  assert.match(name, /^caplab-x+-[0-9a-f]{8}$/);
});

test('options become parallelism, retries, deadline and TTL', () => {
  const { job } = buildSearchJob(specs(10), { parallelism: 4, retries: 2, activeDeadline: duration.minutes(30), ttlAfterFinished: duration.seconds(60) });
  assert.equal(job.spec.parallelism, 4);
  assert.equal(job.spec.backoffLimitPerIndex, 2);
  assert.equal(job.spec.activeDeadlineSeconds, 1800);
  assert.equal(job.spec.ttlSecondsAfterFinished, 60);
});

test('bad options are refused with the field, the value and what to do', () => {
  const cases: Array<[() => unknown, RegExp]> = [
    [() => buildSearchJob([]), /no specs/],
    [() => buildSearchJob([{ id: 'a', kind: 'noop', payload: {} }, { id: 'a', kind: 'noop', payload: {} }]), /"a" appears twice/],
    [() => buildSearchJob(specs(2), { cpu: 'lots' }), /cpu "lots" is not a CPU amount/],
    [() => buildSearchJob(specs(2), { memory: '12' }), /too small/],
    [() => buildSearchJob(specs(2), { memory: '500m' }), /not a memory amount/],
    [() => buildSearchJob(specs(2), { parallelism: 0 }), /parallelism 0 must be a positive integer/],
    [() => buildSearchJob(specs(2), { retries: -1 }), /retries -1 is out of range/],
    [() => buildSearchJob(specs(2), { image: 'has space' }), /image "has space"/],
    [() => buildWorkerPodTemplate({ cpu: '2', cpuLimit: '1' }), /cpuLimit 1 is below the cpu request 2/],
    [() => buildIndexedJob({ name: 'Bad_Name', completions: 1, template: buildWorkerPodTemplate() }), /Job name "Bad_Name" is not a valid Kubernetes name/],
  ];
  for (const [fn, re] of cases) {
    assert.throws(fn, (e: unknown) => isCaplabError(e) && re.test((e as Error).message) && !!(e as { hint?: string }).hint, String(re));
  }
});

test('specs too large for one environment variable are refused before anything is applied', () => {
  const big = specs(4, { blob: 'x'.repeat(40_000) });
  assert.throws(() => buildSpecsConfigMap(big, { name: 'n' }), /take \d+ bytes as JSON; one Job carries at most/);
});

test('quantities parse and print the Kubernetes way', () => {
  assert.equal(parseCpu('500m').millis, 500);
  assert.equal(parseCpu('1.5').millis, 1500);
  assert.equal(parseMemory('512Mi').bytes, 512 * 1024 ** 2);
  assert.equal(parseMemory('1G').bytes, 1e9);
  assert.equal(cpuQuantity(cpu.cores(2)), '2');
  assert.equal(memoryQuantity(memory.mebibytes(1536)), '1536Mi');
  assert.equal(parseQuantity('16Gi'), 16 * 1024 ** 3);
  assert.equal(parseQuantity('3500m'), 3.5);
  assert.ok(Number.isNaN(parseQuantity('12 apples')));
});

test('a data Job mounts the PVC read-write and runs the given caplab command', () => {
  const job = buildDataJob({ args: ['data', 'generate', '--out', '/data/s'] });
  const c = job.spec.template.spec.containers[0];
  assert.deepEqual(c.command, ['caplab', 'data', 'generate', '--out', '/data/s']);
  assert.deepEqual(c.volumeMounts.at(-1), { name: 'data', mountPath: '/data', readOnly: false });
  assert.equal(job.spec.template.spec.volumes.at(-1)?.persistentVolumeClaim?.claimName, 'caplab-data');
  assert.equal(job.metadata.name, buildDataJob({ args: ['data', 'generate', '--out', '/data/s'] }).metadata.name);
});

test('kubernetesManifests gives the ConfigMap then the Job, and the YAML says the same', async () => {
  const objs = kubernetesManifests(specs(2), { experiment: 'e', namespace: 'ns1' });
  assert.deepEqual(objs.map((o) => o.kind), ['ConfigMap', 'Job']);
  assert.ok(objs.every((o) => o.metadata.namespace === 'ns1'));
  const { loadAllYaml } = await import('@kubernetes/client-node');
  const plain = JSON.parse(JSON.stringify(loadAllYaml(kubernetesManifestsYaml(specs(2), { experiment: 'e', namespace: 'ns1' }))));
  assert.deepEqual(plain, objs);
});
