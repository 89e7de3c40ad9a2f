import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRankJob, rankJobOptions } from '../lib/cluster/rank-job.ts';
import { buildSearchJob } from '../lib/cluster/search-job.ts';
import { CHECKPOINT_ENV, CHECKPOINT_PATH, DATA_PATH } from '../lib/cluster/objects/pod.ts';
import { isCaplabError } from '../lib/errors.ts';

const payload = { data: { dir: '/data/sp500' }, config: { batchSize: 64 } };

test('a rank Job runs every rank at once as one Indexed Job whose pods are in the headless Service', () => {
  const m = buildRankJob(payload, { run: 'train-ab12', ranks: 3 });
  const spec = m.job.spec;
  assert.equal(spec.completionMode, 'Indexed');
  assert.equal(spec.completions, 3);
  assert.equal(spec.parallelism, 3);
  assert.equal(spec.podReplacementPolicy, 'Failed', 'two pods never hold one rank');
  assert.equal(spec.template.spec.subdomain, m.name);
  assert.equal(m.service.metadata.name, m.name);
  assert.equal(m.service.spec.clusterIP, 'None');
  assert.equal(m.service.spec.publishNotReadyAddresses, true, 'rank 0 resolves before anything is Ready');
  for (const [k, v] of Object.entries(m.service.spec.selector)) assert.equal(spec.template.metadata.labels[k], v, `pods carry the selector label ${k}`);
});

test('rank i is spec i, and every rank dials rank 0 at <job>-0.<service>', () => {
  const m = buildRankJob(payload, { run: 'train-ab12', ranks: 2, port: 29600 });
  assert.deepEqual(m.specs.map((s) => s.payload.rank), [0, 1]);
  assert.ok(m.specs.every((s) => s.payload.worldSize === 2 && s.payload.port === 29600 && s.kind === 'rank'));
  assert.equal(m.rank0.host, `${m.name}-0.${m.name}`);
  assert.ok(m.specs.every((s) => s.payload.host === m.rank0.host));
  assert.deepEqual(m.service.spec.ports.map((p) => p.port), [29600]);
  assert.deepEqual(JSON.parse(m.configMap.data['specs.json']), m.specs);
});

test('one failed or disrupted rank fails the whole Job, with no retry in place', () => {
  const { job } = buildRankJob(payload, { run: 'train-ab12', ranks: 2 });
  assert.equal(job.spec.backoffLimit, 0);
  assert.equal(job.spec.backoffLimitPerIndex, undefined);
  const rules = job.spec.podFailurePolicy!.rules;
  assert.ok(rules.every((r) => r.action === 'FailJob'));
  assert.ok(rules.some((r) => r.onPodConditions?.[0].type === 'DisruptionTarget'));
  assert.ok(rules.some((r) => r.onExitCodes?.operator === 'NotIn' && r.onExitCodes.values.join() === '0'));
});

test('each attempt of a run is its own Job, and all attempts checkpoint to the same folder of the claim', () => {
  const a0 = buildRankJob(payload, { run: 'train-ab12', ranks: 2 });
  const a1 = buildRankJob(payload, { run: 'train-ab12', ranks: 2, attempt: 1 });
  assert.notEqual(a0.name, a1.name);
  assert.equal(a0.checkpointPath, 'caplab-checkpoints/train-ab12');
  assert.equal(a1.checkpointPath, a0.checkpointPath);
  const pod = a1.job.spec.template.spec;
  const c = pod.containers[0];
  const mount = c.volumeMounts.find((v) => v.mountPath === CHECKPOINT_PATH)!;
  assert.equal(mount.subPath, undefined, 'the worker makes its folder: a kubelet-made subPath folder is root-owned');
  assert.notEqual(mount.readOnly, true);
  assert.equal(pod.volumes.find((v) => v.name === mount.name)?.persistentVolumeClaim?.claimName, 'caplab-data');
  assert.equal(c.env.find((e) => e.name === CHECKPOINT_ENV)?.value, `${CHECKPOINT_PATH}/caplab-checkpoints/train-ab12`);
});

test('with imported data on the same claim, the /data mount stays read-only', () => {
  const m = buildRankJob(payload, { run: 'train-ab12', ranks: 2, dataClaim: 'caplab-data' });
  const pod = m.job.spec.template.spec;
  assert.equal(pod.volumes.filter((v) => v.persistentVolumeClaim).length, 1, 'one volume for the one claim');
  const mounts = pod.containers[0].volumeMounts;
  assert.equal(mounts.find((v) => v.mountPath === DATA_PATH)?.readOnly, true);
  assert.equal(mounts.find((v) => v.mountPath === CHECKPOINT_PATH)?.readOnly, undefined);
});

test('without checkpoints no claim is mounted', () => {
  const m = buildRankJob(payload, { run: 'train-ab12', ranks: 2, checkpointClaim: false });
  assert.equal(m.checkpointPath, null);
  assert.ok(m.job.spec.template.spec.volumes.every((v) => !v.persistentVolumeClaim));
});

test('requests and limits are always set and the pods keep the restricted securityContext of search pods', () => {
  const m = buildRankJob(payload, { run: 'train-ab12', ranks: 2, cpu: '500m', memory: '768Mi' });
  const c = m.job.spec.template.spec.containers[0];
  assert.deepEqual(c.resources, { requests: { cpu: '500m', memory: '768Mi' }, limits: { cpu: '500m', memory: '768Mi' } });
  const search = buildSearchJob([{ id: 't', kind: 'noop', payload: {} }], {}).job.spec.template.spec;
  assert.deepEqual(c.securityContext, search.containers[0].securityContext);
  assert.deepEqual(m.job.spec.template.spec.securityContext, search.securityContext);
});

test('the executor given rankJobOptions builds the very same manifests', () => {
  const o = { run: 'train-ab12', ranks: 2, attempt: 3, memory: '1Gi' };
  const m = buildRankJob(payload, o);
  const again = buildSearchJob(m.specs, rankJobOptions(o));
  assert.deepEqual(again, { name: m.name, specHash: m.specHash, configMap: m.configMap, job: m.job, service: m.service });
});

test('bad run ids, rank counts, ports and a partial parallelism are refused with the rule', () => {
  const refused = (f: () => unknown, rx: RegExp) => assert.throws(f, (e) => isCaplabError(e) && rx.test(e.message));
  refused(() => buildRankJob(payload, { run: 'Train_1', ranks: 2 }), /run id "Train_1"/);
  refused(() => buildRankJob(payload, { run: 'train', ranks: 0 }), /ranks 0/);
  refused(() => buildRankJob(payload, { run: 'train', ranks: 2, port: 80 }), /port 80/);
  refused(() => buildSearchJob([{ id: 'a', kind: 'rank', payload: {} }, { id: 'b', kind: 'rank', payload: {} }], { group: true, parallelism: 1 }), /parallelism 1/);
  refused(() => buildSearchJob([{ id: 'a', kind: 'rank', payload: {} }], { group: true, checkpoint: { claim: 'c', subPath: '../up' } }), /subPath "\.\.\/up"/);
});
