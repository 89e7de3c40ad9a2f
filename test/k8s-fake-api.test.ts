// The API double answers the real client's calls with real paths, status codes and Status bodies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { KubeConfig, VersionApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { withCluster, statusOf, indexedJob, Seen } from './k8s-fake/testing.ts';

test('writes a kubeconfig the client loads, with the server, context and namespace', async () => {
  await withCluster({ mode: 'simulated' }, async (cluster) => {
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.kubeconfigPath);
    assert.equal(kc.getCurrentContext(), 'caplab-fake');
    assert.equal(kc.getCurrentCluster()?.server, cluster.url);
    assert.equal(kc.getContextObject('caplab-fake')?.namespace, 'caplab');
    const version = await kc.makeApiClient(VersionApi).getCode();
    assert.equal(version.gitVersion, 'v1.33.1');
    assert.match(readFileSync(cluster.kubeconfigPath, 'utf8'), /insecure-skip-tls-verify: true/);
  });
});

test('lists nodes with allocatable CPU and memory and the namespace that was pre-created', async () => {
  await withCluster({ mode: 'simulated', nodes: [{ name: 'big', cpu: '8', memory: '32Gi' }] }, async (_cluster, { core }) => {
    const nodes = await core.listNode();
    assert.deepEqual(nodes.items.map((n) => [n.metadata?.name, n.status?.allocatable?.cpu, n.status?.allocatable?.memory]), [['big', '8', '32Gi']]);
    const ns = await core.readNamespace({ name: 'caplab' });
    assert.equal(ns.status?.phase, 'Active');
    assert.ok(nodes.metadata?.resourceVersion);
  });
});

test('creates, reads, lists by label, updates and deletes a ConfigMap with moving resourceVersions', async () => {
  await withCluster({ mode: 'simulated' }, async (cluster, { core }) => {
    const namespace = cluster.namespace;
    const made = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'specs', labels: { app: 'caplab' } }, data: { 'specs.json': '[]' } } });
    assert.ok(made.metadata?.uid);
    assert.ok(made.metadata?.creationTimestamp instanceof Date);
    const rv1 = Number(made.metadata?.resourceVersion);
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'other', labels: { app: 'else' } }, data: {} } });
    const listed = await core.listNamespacedConfigMap({ namespace, labelSelector: 'app=caplab' });
    assert.deepEqual(listed.items.map((c) => c.metadata?.name), ['specs']);
    const notIn = await core.listNamespacedConfigMap({ namespace, labelSelector: 'app notin (caplab)' });
    assert.deepEqual(notIn.items.map((c) => c.metadata?.name), ['other']);
    made.data = { 'specs.json': '[1]' };
    const updated = await core.replaceNamespacedConfigMap({ namespace, name: 'specs', body: made });
    assert.ok(Number(updated.metadata?.resourceVersion) > rv1);
    const stale = await statusOf(core.replaceNamespacedConfigMap({ namespace, name: 'specs', body: made }));
    assert.equal(stale.code, 409);
    assert.equal(stale.body.reason, 'Conflict');
    const patched = await core.patchNamespacedConfigMap({ namespace, name: 'specs', body: [{ op: 'replace', path: '/data/specs.json', value: '[2]' }] });
    assert.equal(patched.data?.['specs.json'], '[2]');
    const merged = await core.patchNamespacedConfigMap({ namespace, name: 'specs', body: { data: { extra: 'x' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    assert.deepEqual(merged.data, { 'specs.json': '[2]', extra: 'x' });
    const gone = await core.deleteNamespacedConfigMap({ namespace, name: 'specs' });
    assert.equal(gone.status, 'Success');
    const missing = await statusOf(core.readNamespacedConfigMap({ namespace, name: 'specs' }));
    assert.deepEqual([missing.code, missing.body.reason, missing.body.message], [404, 'NotFound', 'configmaps "specs" not found']);
  });
});

test('answers 409 AlreadyExists with a Status body naming the Job', async () => {
  await withCluster({ mode: 'simulated' }, async (cluster, { batch }) => {
    await batch.createNamespacedJob({ namespace: cluster.namespace, body: indexedJob('dup') });
    const again = await statusOf(batch.createNamespacedJob({ namespace: cluster.namespace, body: indexedJob('dup') }));
    assert.equal(again.code, 409);
    assert.deepEqual(again.body, {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'jobs.batch "dup" already exists', reason: 'AlreadyExists', code: 409,
      details: { name: 'dup', group: 'batch', kind: 'jobs' },
    });
  });
});

test('answers 404 for a namespace that does not exist', async () => {
  await withCluster({ mode: 'simulated' }, async (_cluster, { batch }) => {
    const r = await statusOf(batch.createNamespacedJob({ namespace: 'nowhere', body: indexedJob('x') }));
    assert.deepEqual([r.code, r.body.reason, r.body.message], [404, 'NotFound', 'namespaces "nowhere" not found']);
  });
});

test('rejects obviously bad Jobs with 422 Invalid and the field of each cause', async () => {
  await withCluster({ mode: 'simulated' }, async (cluster, { batch }) => {
    const namespace = cluster.namespace;
    const cases: Array<[string, (j: any) => void, string, string]> = [
      ['no-containers', (j) => (j.spec.template.spec.containers = []), 'spec.template.spec.containers', 'Required value'],
      ['always', (j) => (j.spec.template.spec.restartPolicy = 'Always'), 'spec.template.spec.restartPolicy', 'Unsupported value: "Always": supported values: "OnFailure", "Never"'],
      ['default-restart', (j) => delete j.spec.template.spec.restartPolicy, 'spec.template.spec.restartPolicy', 'Unsupported value: "Always": supported values: "OnFailure", "Never"'],
      ['no-completions', (j) => delete j.spec.completions, 'spec.completions', 'Required value: when completion mode is Indexed'],
      ['pfp-onfailure', (j) => {
        j.spec.template.spec.restartPolicy = 'OnFailure';
        j.spec.podFailurePolicy = { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }] };
      }, 'spec.template.spec.restartPolicy', 'Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified'],
      ['failindex-alone', (j) => (j.spec.podFailurePolicy = { rules: [{ action: 'FailIndex', onExitCodes: { operator: 'In', values: [3] } }] }),
        'spec.podFailurePolicy.rules[0].action', 'Invalid value: "FailIndex": valid only when backoffLimitPerIndex is set'],
      ['no-image', (j) => delete j.spec.template.spec.containers[0].image, 'spec.template.spec.containers[0].image', 'Required value'],
    ];
    for (const [name, breakIt, field, detail] of cases) {
      const job: any = indexedJob(name);
      breakIt(job);
      const r = await statusOf(batch.createNamespacedJob({ namespace, body: job }));
      assert.equal(r.code, 422, name);
      assert.equal(r.body.reason, 'Invalid', name);
      assert.equal(r.body.message, `Job.batch "${name}" is invalid: ${field}: ${detail}`, name);
      assert.deepEqual(r.body.details.causes.map((c: any) => c.field), [field], name);
    }
    const readBack = await batch.createNamespacedJob({ namespace, body: indexedJob('ok') });
    const resubmitted = await statusOf(batch.createNamespacedJob({ namespace, body: { metadata: { name: 'ok2' }, spec: readBack.spec } }));
    assert.equal(resubmitted.code, 422);
    assert.match(resubmitted.body.message, /spec.selector: Invalid value: .*`selector` not auto-generated/);
  });
});

test('defaults a Job like the apiserver: selector, template labels, backoffLimit, podReplacementPolicy', async () => {
  await withCluster({ mode: 'simulated' }, async (cluster, { batch }) => {
    const job = await batch.createNamespacedJob({ namespace: cluster.namespace, body: indexedJob('d', { backoffLimitPerIndex: 1 }) });
    const uid = job.metadata!.uid!;
    assert.deepEqual(job.spec?.selector?.matchLabels, { 'batch.kubernetes.io/controller-uid': uid });
    assert.equal(job.spec?.template.metadata?.labels?.['batch.kubernetes.io/job-name'], 'd');
    assert.equal(job.spec?.template.metadata?.labels?.['controller-uid'], uid);
    assert.equal(job.spec?.backoffLimit, 2147483647);
    assert.equal(job.spec?.podReplacementPolicy, 'TerminatingOrFailed');
    assert.equal(job.metadata?.generation, 1);
    const changed = await batch.patchNamespacedJob({ namespace: cluster.namespace, name: 'd', body: [{ op: 'replace', path: '/spec/parallelism', value: 1 }] });
    assert.equal(changed.metadata?.generation, 2);
    const immutable = await statusOf(batch.patchNamespacedJob({ namespace: cluster.namespace, name: 'd', body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'other' }] }));
    assert.equal(immutable.code, 422);
    assert.match(immutable.body.message, /spec.template: Invalid value: .*field is immutable/);
  });
});

test('answers 403 Forbidden like an apiserver when a forbidden fault covers the verb', async () => {
  await withCluster({ mode: 'simulated', faults: [{ kind: 'forbidden', verb: 'create', resource: 'jobs' }] }, async (cluster, { batch, authz }) => {
    const r = await statusOf(batch.createNamespacedJob({ namespace: cluster.namespace, body: indexedJob('nope') }));
    assert.equal(r.code, 403);
    assert.equal(r.body.reason, 'Forbidden');
    assert.equal(r.body.message, 'jobs.batch is forbidden: User "caplab-fake-user" cannot create resource "jobs" in API group "batch" in the namespace "caplab"');
    const ask = (verb: string, resource: string, group = '') =>
      authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { namespace: 'caplab', verb, resource, group } } } });
    assert.equal((await ask('create', 'jobs', 'batch')).status?.allowed, false);
    assert.equal((await ask('get', 'pods')).status?.allowed, true);
    await batch.listNamespacedJob({ namespace: cluster.namespace });
  });
});

test('answers SelfSubjectAccessReviews from the accessReview option', async () => {
  const seen: string[] = [];
  await withCluster({ mode: 'simulated', accessReview: (a) => { seen.push(`${a.verb} ${a.group}/${a.resource}/${a.subresource ?? ''}`); return a.subresource !== 'log'; } }, async (_c, { authz }) => {
    const r = await authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { namespace: 'caplab', verb: 'get', resource: 'pods', subresource: 'log' } } } });
    assert.equal(r.status?.allowed, false);
    assert.deepEqual(seen, ['get /pods/log']);
  });
});

test('injects other error Statuses, such as 429 with Retry-After, a given number of times', async () => {
  await withCluster({ mode: 'simulated', faults: [{ kind: 'status', verb: 'list', resource: 'pods', code: 429, times: 1 }] }, async (cluster, { core }) => {
    const r = await statusOf(core.listNamespacedPod({ namespace: cluster.namespace }));
    assert.deepEqual([r.code, r.body.reason], [429, 'TooManyRequests']);
    const ok = await core.listNamespacedPod({ namespace: cluster.namespace });
    assert.deepEqual(ok.items, []);
  });
});

test('rejects a wrong bearer token with 401 and logs every request', async () => {
  await withCluster({ mode: 'simulated' }, async (cluster) => {
    const res = await fetch(`${cluster.url}/api/v1/namespaces`, { headers: { authorization: 'Bearer wrong' } });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as any).reason, 'Unauthorized');
    const ok = await fetch(`${cluster.url}/api/v1/namespaces/caplab/pods?labelSelector=a%3Db`, { headers: { authorization: `Bearer ${cluster.token}` } });
    assert.equal(ok.status, 200);
    assert.deepEqual(cluster.requests.slice(-2), [
      { method: 'GET', path: '/api/v1/namespaces', query: '', status: 401 },
      { method: 'GET', path: '/api/v1/namespaces/caplab/pods', query: 'labelSelector=a%3Db', status: 200 },
    ]);
  });
});

test('serves discovery documents for the core and batch groups', async () => {
  await withCluster({ mode: 'simulated' }, async (cluster) => {
    const get = async (p: string): Promise<any> => (await fetch(`${cluster.url}${p}`, { headers: { authorization: `Bearer ${cluster.token}` } })).json();
    const batch = await get('/apis/batch/v1');
    assert.ok(batch.resources.some((r: any) => r.name === 'jobs' && r.namespaced));
    const groups = await get('/apis');
    assert.ok(groups.groups.some((g: any) => g.name === 'batch'));
    const core = await get('/api/v1');
    assert.ok(core.resources.some((r: any) => r.name === 'pods/log'));
  });
});

test('rejects label values over 63 characters and ConfigMaps over 1 MiB like an apiserver', async () => {
  await withCluster({ mode: 'simulated' }, async (cluster, { core, batch }) => {
    const namespace = cluster.namespace;
    const job = indexedJob('labels');
    job.metadata!.labels = { 'caplab.dev/spec-hash': 'a'.repeat(64) };
    const r = await statusOf(batch.createNamespacedJob({ namespace, body: job }));
    assert.equal(r.code, 422);
    assert.equal(r.body.details.causes[0].field, 'metadata.labels');
    assert.match(r.body.message, /must be no more than 63 characters/);
    const big = await statusOf(core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'big' }, data: { 'specs.json': 'x'.repeat(1024 * 1024 + 1) } } }));
    assert.equal(big.code, 422);
    assert.equal(big.body.message, 'ConfigMap "big" is invalid: []: Too long: may not be more than 1048576 bytes');
  });
});

test('runs by hand from main.ts, printing its kubeconfig as a JSON line, until SIGTERM', async () => {
  const { spawn } = await import('node:child_process');
  const { createInterface } = await import('node:readline');
  const child = spawn(process.execPath, ['test/k8s-fake/main.ts', '--json', '--mode', 'simulated'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const first = await new Promise<string>((ok) => createInterface({ input: child.stdout! }).once('line', ok));
  const info = JSON.parse(first);
  assert.equal(info.context, 'caplab-fake');
  const kc = new KubeConfig();
  kc.loadFromFile(info.kubeconfig);
  assert.equal((await kc.makeApiClient(VersionApi).getCode()).gitVersion, 'v1.33.1');
  const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});

test('watches with a label selector: an update that moves an object in or out is ADDED or DELETED', async () => {
  await withCluster({ mode: 'simulated' }, async (cluster, { core, kc }) => {
    const namespace = cluster.namespace;
    const { Watch } = await import('@kubernetes/client-node');
    const seen = new Seen<[string, string]>();
    const w = await new Watch(kc).watch(`/api/v1/namespaces/${namespace}/configmaps`, { labelSelector: 'stage=live' }, (type, obj) => seen.push([type, obj.metadata.name]), () => {});
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'a', labels: { stage: 'draft' } } } });
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    await core.patchNamespacedConfigMap({ namespace, name: 'a', body: { metadata: { labels: { stage: 'live' } } } }, merge);
    await core.patchNamespacedConfigMap({ namespace, name: 'a', body: { data: { k: 'v' } } }, merge);
    await core.patchNamespacedConfigMap({ namespace, name: 'a', body: { metadata: { labels: { stage: 'old' } } } }, merge);
    await seen.until((events) => events.length === 3, 5000, 'three events');
    w.abort();
    assert.deepEqual(seen.items, [['ADDED', 'a'], ['MODIFIED', 'a'], ['DELETED', 'a']]);
  });
});

test('prints Tables for kubectl get: pod status, job completions, event columns', async () => {
  await withCluster({ mode: 'simulated', faults: [{ kind: 'image-pull', podIndex: 1 }] }, async (cluster, { batch }) => {
    await batch.createNamespacedJob({ namespace: cluster.namespace, body: indexedJob('t', { completions: 2 }) });
    await cluster.waitFor((s) => s.pods.some((p) => p.status.phase === 'Succeeded') && s.pods.some((p) => p.status.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff'), 5000, 'one done, one stuck');
    const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
    const get = async (p: string): Promise<any> => (await fetch(`${cluster.url}${p}`, { headers: { authorization: `Bearer ${cluster.token}`, accept } })).json();
    const pods = await get('/api/v1/namespaces/caplab/pods');
    assert.equal(pods.kind, 'Table');
    assert.deepEqual(pods.columnDefinitions.filter((c: any) => c.priority === 0).map((c: any) => c.name), ['Name', 'Ready', 'Status', 'Restarts', 'Age']);
    assert.deepEqual(pods.rows.map((r: any) => r.cells[2]).sort(), ['Completed', 'ImagePullBackOff']);
    const jobs = await get('/apis/batch/v1/namespaces/caplab/jobs');
    assert.deepEqual(jobs.rows[0].cells.slice(0, 3), ['t', 'Running', '1/2']);
    assert.equal(jobs.rows[0].object.metadata.name, 't');
  });
});
