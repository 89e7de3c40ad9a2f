// Every fault the double injects is observable through the real client, as on a real cluster.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Watch, makeInformer } from '@kubernetes/client-node';
import type { V1Job } from '@kubernetes/client-node';
import { withCluster, indexedJob, finishedJob, condition, podsOf, statusOf, Seen } from './k8s-fake/testing.ts';

const terminated = (pod: any) => pod.status.containerStatuses[0].state.terminated;

test('reports an OOM kill with reason OOMKilled and exit code 137, failing the pod', async () => {
  await withCluster({ faults: [{ kind: 'oom', podIndex: 0 }] }, async (cluster, { batch }) => {
    await batch.createNamespacedJob({ namespace: cluster.namespace, body: indexedJob('oom', { completions: 1, backoffLimit: 0 }) });
    const job = await finishedJob(cluster, 'oom');
    assert.equal(condition(job, 'Failed')?.reason, 'BackoffLimitExceeded');
    const pod = podsOf(cluster, 'oom')[0];
    assert.equal(pod.status.phase, 'Failed');
    assert.deepEqual([terminated(pod).reason, terminated(pod).exitCode], ['OOMKilled', 137]);
  });
});

test('reports an OOM kill with exit code 0 on a Succeeded pod whose log still has a result line', async () => {
  await withCluster({ faults: [{ kind: 'oom', podIndex: 1, exitCode: 0 }] }, async (cluster, { batch, core }) => {
    await batch.createNamespacedJob({ namespace: cluster.namespace, body: indexedJob('oom0', { completions: 2 }) });
    const job = await finishedJob(cluster, 'oom0');
    assert.ok(condition(job, 'Complete'), 'a real Job counts it as succeeded: only the reason tells');
    const pod = podsOf(cluster, 'oom0').find((p) => p.metadata.labels?.['batch.kubernetes.io/job-completion-index'] === '1')!;
    assert.equal(pod.status.phase, 'Succeeded');
    assert.deepEqual([terminated(pod).reason, terminated(pod).exitCode], ['OOMKilled', 0]);
    const log = await core.readNamespacedPodLog({ namespace: cluster.namespace, name: pod.metadata.name });
    assert.deepEqual(JSON.parse(log), { index: 1 });
  });
});

test('keeps a pod Pending in ImagePullBackOff with the kubelet\'s events and a 400 for its log', async () => {
  await withCluster({ mode: 'simulated', faults: [{ kind: 'image-pull' }] }, async (cluster, { batch, core }) => {
    const namespace = cluster.namespace;
    await batch.createNamespacedJob({ namespace, body: indexedJob('pull', { completions: 1, image: 'registry.example/caplab:missing' }) });
    const pod = await cluster.waitFor((s) => s.pods.find((p) => p.status.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff'), 5000, 'ImagePullBackOff');
    const read = await core.readNamespacedPod({ namespace, name: pod.metadata.name });
    assert.equal(read.status?.phase, 'Pending');
    assert.match(read.status?.containerStatuses?.[0].state?.waiting?.message ?? '', /^Back-off pulling image "registry.example\/caplab:missing"/);
    const events = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${pod.metadata.name}` });
    const failed = events.items.filter((e) => e.reason === 'Failed').map((e) => e.message);
    assert.ok(failed.some((m) => m?.startsWith('Failed to pull image "registry.example/caplab:missing": rpc error: code = NotFound')));
    assert.ok(failed.includes('Error: ImagePullBackOff'));
    assert.ok(events.items.every((e) => e.involvedObject.name === pod.metadata.name));
    const log = await statusOf(core.readNamespacedPodLog({ namespace, name: pod.metadata.name }));
    assert.equal(log.code, 400);
    assert.match(log.body.message, /is waiting to start: trying and failing to pull image/);
    const job = await batch.readNamespacedJob({ namespace, name: 'pull' });
    assert.equal(job.status?.active, 1);
  });
});

test('marks a pod too big for any node Unschedulable with the scheduler\'s message and event', async () => {
  await withCluster({ mode: 'simulated' }, async (cluster, { batch, core }) => {
    const namespace = cluster.namespace;
    await batch.createNamespacedJob({ namespace, body: indexedJob('huge', { completions: 1, memory: '64Gi' }) });
    const pod = await cluster.waitFor((s) => s.pods.find((p) => p.status.conditions?.some((c: any) => c.type === 'PodScheduled' && c.status === 'False')), 5000, 'unschedulable');
    const scheduled = (await core.readNamespacedPod({ namespace, name: pod.metadata.name })).status?.conditions?.find((c) => c.type === 'PodScheduled');
    assert.equal(scheduled?.reason, 'Unschedulable');
    assert.equal(scheduled?.message, '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.');
    const events = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${pod.metadata.name},reason=FailedScheduling` });
    assert.equal(events.items[0]?.type, 'Warning');
    assert.equal(events.items[0]?.source?.component, 'default-scheduler');
  });
});

test('marks a pod Unschedulable by fault, and schedules pods that wait for capacity once it frees', async () => {
  const nodes = [{ name: 'small', cpu: '1', memory: '1Gi' }];
  await withCluster({ mode: 'simulated', nodes, simulate: () => 'hold', faults: [{ kind: 'unschedulable', job: 'never' }] }, async (cluster, { batch }) => {
    const namespace = cluster.namespace;
    await batch.createNamespacedJob({ namespace, body: indexedJob('never', { completions: 1 }) });
    const job = indexedJob('fits', { completions: 3, parallelism: 3 });
    job.spec!.template.spec!.containers[0].resources = { requests: { cpu: '400m', memory: '64Mi' } };
    await batch.createNamespacedJob({ namespace, body: job });
    await cluster.waitFor((s) => podsOf(cluster, 'fits').filter((p) => p.status.phase === 'Running').length === 2 &&
      s.events.some((e) => e.reason === 'FailedScheduling' && e.involvedObject.name.startsWith('fits-')), 5000, 'two running, one waiting');
    const never = podsOf(cluster, 'never')[0];
    assert.equal(never.status.conditions.find((c: any) => c.type === 'PodScheduled').reason, 'Unschedulable');
    const first = podsOf(cluster, 'fits').find((p) => p.status.phase === 'Running')!;
    cluster.finishPod(first.metadata.name, { exitCode: 0 });
    await cluster.waitFor(() => podsOf(cluster, 'fits').filter((p) => p.status.phase === 'Running').length === 2 &&
      podsOf(cluster, 'fits').some((p) => p.status.phase === 'Succeeded'), 5000, 'the waiting pod runs');
    assert.equal(podsOf(cluster, 'never')[0].spec.nodeName, undefined);
  });
});

test('deletes a Job from outside mid-run: watchers see DELETED, its pods go, reads answer 404', async () => {
  await withCluster({ mode: 'simulated', simulate: () => 'hold', faults: [{ kind: 'delete-job', job: 'victim' }] }, async (cluster, { batch, kc }) => {
    const namespace = cluster.namespace;
    const seen = new Seen<string>();
    const w = await new Watch(kc).watch(`/apis/batch/v1/namespaces/${namespace}/jobs`, { fieldSelector: 'metadata.name=victim' }, (type) => seen.push(type), () => {});
    await batch.createNamespacedJob({ namespace, body: indexedJob('victim') });
    await seen.until((types) => types.includes('DELETED'), 5000, 'DELETED');
    await cluster.waitFor(() => podsOf(cluster, 'victim').length === 0, 5000, 'pods deleted');
    w.abort();
    assert.equal(seen.items[0], 'ADDED');
    assert.equal((await statusOf(batch.readNamespacedJob({ namespace, name: 'victim' }))).code, 404);
  });
});

test('ends a watch with an ERROR event carrying 410 Expired for a resourceVersion older than the history', async () => {
  await withCluster({ mode: 'simulated' }, async (cluster, { core, kc }) => {
    const namespace = cluster.namespace;
    const old = (await core.listNamespacedConfigMap({ namespace })).metadata!.resourceVersion!;
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'a' } } });
    cluster.compact();
    const got: Array<[string, any]> = [];
    const done = new Promise<unknown>((ok) => {
      void new Watch(kc).watch(`/api/v1/namespaces/${namespace}/configmaps`, { resourceVersion: old }, (type, obj) => got.push([type, obj]), ok);
    });
    assert.equal(await done, null, 'the stream ends cleanly after the ERROR event');
    assert.equal(got.length, 1);
    assert.equal(got[0][0], 'ERROR');
    assert.deepEqual([got[0][1].kind, got[0][1].code, got[0][1].reason], ['Status', 410, 'Expired']);
    assert.match(got[0][1].message, /^too old resource version: \d+ \(\d+\)$/);
  });
});

function jobInformer(cluster: { namespace: string }, kc: any, batch: any) {
  return makeInformer<V1Job>(kc, `/apis/batch/v1/namespaces/${cluster.namespace}/jobs`, () => batch.listNamespacedJob({ namespace: cluster.namespace }));
}

test('makes an informer re-list after a 410 Gone on its watch', async () => {
  await withCluster({ mode: 'simulated', simulate: () => 'hold' }, async (cluster, { batch, kc }) => {
    const informer = jobInformer(cluster, kc, batch);
    const added = new Seen<string>();
    informer.on('add', (j) => added.push(j.metadata!.name!));
    await informer.start();
    await batch.createNamespacedJob({ namespace: cluster.namespace, body: indexedJob('one') });
    await added.until((names) => names.includes('one'), 5000, 'informer sees one');
    cluster.inject({ kind: 'watch-gone', resource: 'jobs', when: 'now' });
    const lists = () => cluster.requests.filter((r) => r.path.endsWith('/jobs') && r.method === 'GET' && !r.query.includes('watch=true')).length;
    await cluster.waitFor(() => lists() === 2 && cluster.requests.filter((r) => r.query.includes('watch=true')).length === 2, 5000, 're-list and re-watch');
    await batch.createNamespacedJob({ namespace: cluster.namespace, body: indexedJob('two') });
    await added.until((names) => names.includes('two'), 5000, 'informer sees two');
    assert.deepEqual(informer.list().map((j) => j.metadata!.name).sort(), ['one', 'two']);
    await informer.stop();
  });
});

test('drops a watch mid-stream: the informer reports an error and stops until restarted', async () => {
  await withCluster({ mode: 'simulated', simulate: () => 'hold' }, async (cluster, { batch, kc }) => {
    const informer = jobInformer(cluster, kc, batch);
    const added = new Seen<string>();
    const errors = new Seen<unknown>();
    informer.on('add', (j) => added.push(j.metadata!.name!));
    informer.on('error', (e) => errors.push(e));
    await informer.start();
    cluster.inject({ kind: 'watch-drop', resource: 'jobs', afterEvents: 1 });
    await batch.createNamespacedJob({ namespace: cluster.namespace, body: indexedJob('first') });
    await errors.until((e) => e.length === 1, 5000, 'informer error');
    assert.deepEqual(added.items, ['first']);
    await batch.createNamespacedJob({ namespace: cluster.namespace, body: indexedJob('missed') });
    await informer.start();
    await added.until((names) => names.includes('missed'), 5000, 'restarted informer catches up');
    await informer.stop();
  });
});

test('ends a watch cleanly: the informer reconnects from its resourceVersion without a re-list', async () => {
  await withCluster({ mode: 'simulated', simulate: () => 'hold' }, async (cluster, { batch, kc }) => {
    const informer = jobInformer(cluster, kc, batch);
    const added = new Seen<string>();
    informer.on('add', (j) => added.push(j.metadata!.name!));
    await informer.start();
    cluster.inject({ kind: 'watch-drop', resource: 'jobs', afterEvents: 1, mode: 'end' });
    await batch.createNamespacedJob({ namespace: cluster.namespace, body: indexedJob('a') });
    await cluster.waitFor(() => cluster.requests.filter((r) => r.query.includes('watch=true')).length === 2, 5000, 'rewatch');
    await batch.createNamespacedJob({ namespace: cluster.namespace, body: indexedJob('b') });
    await added.until((names) => names.includes('b'), 5000, 'b');
    const lists = cluster.requests.filter((r) => r.path.endsWith('/jobs') && r.method === 'GET' && !r.query.includes('watch=true'));
    assert.equal(lists.length, 1);
    assert.match(cluster.requests.filter((r) => r.query.includes('watch=true'))[1].query, /resourceVersion=\d+/);
    await informer.stop();
  });
});

test('refuses pods whose ServiceAccount is missing, leaving the Job with FailedCreate events until it exists', async () => {
  await withCluster({ mode: 'simulated', requireServiceAccounts: true }, async (cluster, { batch, core }) => {
    const namespace = cluster.namespace;
    const job = indexedJob('sa', { completions: 1 });
    job.spec!.template.spec!.serviceAccountName = 'caplab-worker';
    await batch.createNamespacedJob({ namespace, body: job });
    const ev = await cluster.waitFor((s) => s.events.find((e) => e.reason === 'FailedCreate'), 5000, 'FailedCreate');
    assert.equal(ev.type, 'Warning');
    assert.match(ev.message, /^Error creating: pods "sa-0-[a-z0-9]{5}" is forbidden: error looking up service account caplab\/caplab-worker: serviceaccount "caplab-worker" not found$/);
    assert.equal(cluster.state.pods.length, 0);
    const direct = await statusOf(core.createNamespacedPod({ namespace, body: { metadata: { name: 'p' }, spec: { serviceAccountName: 'caplab-worker', containers: [{ name: 'c', image: 'x' }] } } }));
    assert.deepEqual([direct.code, direct.body.reason], [403, 'Forbidden']);
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'caplab-worker' } } });
    assert.ok(condition(await finishedJob(cluster, 'sa'), 'Complete'));
  });
});
