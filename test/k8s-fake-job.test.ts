// The double's job controller and kubelet move Indexed Jobs the way a 1.33 cluster does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { Log, Watch } from '@kubernetes/client-node';
import { withCluster, indexedJob, finishedJob, condition, podsOf, Seen } from './k8s-fake/testing.ts';
import type { FakeObject } from './k8s-fake/index.ts';

const printIndex = ['node', '-e', 'console.log("starting"); console.log(JSON.stringify({ index: Number(process.env.JOB_COMPLETION_INDEX), pod: process.env.POD, seed: process.env.SEED, greeting: process.env.GREETING, host: process.env.HOSTNAME }))'];

test('runs an Indexed Job as local processes to Complete, with the status, pods and logs of a real cluster', async () => {
  await withCluster({}, async (cluster, { core, batch, kc }) => {
    const namespace = cluster.namespace;
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'cfg' }, data: { seed: '7' } } });
    const events = new Seen<string>();
    const watch = await new Watch(kc).watch(`/apis/batch/v1/namespaces/${namespace}/jobs`, {}, (type, obj) => events.push(obj.status?.completionTime ? `${type} done` : type), () => {});
    const env = [
      { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'SEED', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'seed' } } },
      { name: 'WHO', value: 'world' },
      { name: 'GREETING', value: 'hello $(WHO)' },
    ];
    await batch.createNamespacedJob({ namespace, body: indexedJob('search', { completions: 3, parallelism: 3, command: printIndex, env }) });
    const job = await finishedJob(cluster, 'search');
    await events.until((e) => e.includes('MODIFIED done'), 5000, 'the watch sees the Job complete');
    watch.abort();

    assert.deepEqual(job.status.conditions.map((c: any) => [c.type, c.status, c.reason]), [
      ['SuccessCriteriaMet', 'True', 'CompletionsReached'],
      ['Complete', 'True', 'CompletionsReached'],
    ]);
    assert.equal(job.status.succeeded, 3);
    assert.equal(job.status.completedIndexes, '0-2');
    assert.equal(job.status.active, undefined);
    assert.equal(job.status.failed, undefined);
    assert.equal(job.status.ready, 0);
    assert.ok(job.status.startTime && job.status.completionTime);
    assert.equal(events.items[0], 'ADDED');
    assert.ok(events.items.filter((e) => e === 'MODIFIED').length >= 2);

    const pods = podsOf(cluster, 'search').sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    assert.equal(pods.length, 3);
    for (const [i, pod] of pods.entries()) {
      assert.match(pod.metadata.name, new RegExp(`^search-${i}-[a-z0-9]{5}$`));
      assert.equal(pod.metadata.labels?.['batch.kubernetes.io/job-completion-index'], String(i));
      assert.equal(pod.metadata.annotations?.['batch.kubernetes.io/job-completion-index'], String(i));
      assert.equal(pod.metadata.labels?.['controller-uid'], job.metadata.uid);
      assert.equal(pod.spec.hostname, `search-${i}`);
      assert.equal(pod.status.phase, 'Succeeded');
      assert.ok(pod.spec.nodeName);
      const term = pod.status.containerStatuses[0].state.terminated;
      assert.deepEqual([term.exitCode, term.reason], [0, 'Completed']);
      const log = await core.readNamespacedPodLog({ namespace, name: pod.metadata.name });
      const last = JSON.parse(log.trim().split('\n').at(-1)!);
      assert.deepEqual(last, { index: i, pod: pod.metadata.name, seed: '7', greeting: 'hello world', host: `search-${i}` });
    }
  });
});

test('keeps at most parallelism pods active and starts the next index when one finishes', async () => {
  await withCluster({ mode: 'simulated', simulate: () => 'hold' }, async (cluster, { batch }) => {
    let maxActive = 0;
    const running = () => cluster.state.pods.filter((p) => !['Succeeded', 'Failed'].includes(p.status.phase));
    await batch.createNamespacedJob({ namespace: cluster.namespace, body: indexedJob('par', { completions: 5, parallelism: 2 }) });
    for (let done = 0; done < 5; done++) {
      const pod = await cluster.waitFor((s) => {
        const live = s.pods.filter((p) => !['Succeeded', 'Failed'].includes(p.status.phase));
        maxActive = Math.max(maxActive, live.length);
        return live.find((p) => p.status.phase === 'Running');
      }, 5000, 'a running pod');
      assert.ok(running().length <= 2);
      cluster.finishPod(pod.metadata.name, { exitCode: 0, log: `done ${pod.metadata.name}\n` });
    }
    const job = await finishedJob(cluster, 'par');
    assert.ok(condition(job, 'Complete'));
    assert.equal(maxActive, 2);
    assert.equal(job.status.completedIndexes, '0-4');
    assert.equal(cluster.state.pods.length, 5);
  });
});

test('retries a failed index with a new pod under backoffLimitPerIndex', async () => {
  await withCluster({ mode: 'simulated', faults: [{ kind: 'exit', podIndex: 1, exitCode: 1, log: 'boom\n', times: 1 }] }, async (cluster, { batch }) => {
    await batch.createNamespacedJob({ namespace: cluster.namespace, body: indexedJob('retry', { backoffLimitPerIndex: 1 }) });
    const job = await finishedJob(cluster, 'retry');
    assert.ok(condition(job, 'Complete'));
    assert.equal(job.status.failed, 1);
    assert.equal(job.status.failedIndexes, '');
    const index1 = podsOf(cluster, 'retry').filter((p) => p.metadata.labels?.['batch.kubernetes.io/job-completion-index'] === '1');
    assert.deepEqual(index1.map((p) => [p.status.phase, p.metadata.annotations?.['batch.kubernetes.io/job-index-failure-count']]).sort(),
      [['Failed', '0'], ['Succeeded', '1']]);
  });
});

test('fails the Job with FailedIndexes once an index runs out of retries and the others finish', async () => {
  await withCluster({ mode: 'simulated', faults: [{ kind: 'exit', podIndex: 2, exitCode: 1 }] }, async (cluster, { batch }) => {
    const seen: string[] = [];
    cluster.waitFor((s) => {
      for (const c of s.get('jobs', 'fi', 'caplab')?.status?.conditions ?? []) if (!seen.includes(c.type)) seen.push(c.type);
      return false;
    }, 10_000).catch(() => {});
    await batch.createNamespacedJob({ namespace: cluster.namespace, body: indexedJob('fi', { backoffLimitPerIndex: 1 }) });
    const job = await finishedJob(cluster, 'fi');
    assert.deepEqual([condition(job, 'Failed')?.reason, condition(job, 'Failed')?.message], ['FailedIndexes', 'Job has failed indexes']);
    assert.deepEqual(seen, ['FailureTarget', 'Failed']);
    assert.equal(job.status.failedIndexes, '2');
    assert.equal(job.status.completedIndexes, '0-1');
    assert.equal(job.status.failed, 2);
    assert.equal(job.status.completionTime, undefined);
  });
});

test('applies podFailurePolicy FailIndex to caplab\'s bad-config exit code without a retry', async () => {
  const command = ['node', '-e', 'process.exit(process.env.JOB_COMPLETION_INDEX === "1" ? 3 : 0)'];
  const podFailurePolicy = { rules: [
    { action: 'FailIndex', onExitCodes: { containerName: 'main', operator: 'In', values: [3] } },
    { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
  ] };
  await withCluster({}, async (cluster, { batch }) => {
    await batch.createNamespacedJob({ namespace: cluster.namespace, body: indexedJob('bad', { command, backoffLimitPerIndex: 3, podFailurePolicy }) });
    const job = await finishedJob(cluster, 'bad');
    assert.equal(condition(job, 'Failed')?.reason, 'FailedIndexes');
    assert.equal(job.status.failedIndexes, '1');
    const index1 = podsOf(cluster, 'bad').filter((p) => p.metadata.labels?.['batch.kubernetes.io/job-completion-index'] === '1');
    assert.equal(index1.length, 1);
    assert.deepEqual([index1[0].status.containerStatuses[0].state.terminated.exitCode, index1[0].status.containerStatuses[0].state.terminated.reason], [3, 'Error']);
  });
});

test('ignores a preempted pod (DisruptionTarget) under an Ignore rule and replaces it', async () => {
  const podFailurePolicy = { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }] };
  await withCluster({ mode: 'simulated', faults: [{ kind: 'disruption', podIndex: 0, times: 1 }] }, async (cluster, { batch }) => {
    await batch.createNamespacedJob({ namespace: cluster.namespace, body: indexedJob('pre', { backoffLimit: 0, podFailurePolicy }) });
    const job = await finishedJob(cluster, 'pre');
    assert.ok(condition(job, 'Complete'));
    assert.equal(job.status.failed, undefined);
    const preempted = podsOf(cluster, 'pre').find((p) => p.status.phase === 'Failed')!;
    assert.equal(condition(preempted, 'DisruptionTarget')?.reason, 'PreemptionByScheduler');
    assert.equal(preempted.status.containerStatuses[0].state.terminated.exitCode, 137);
  });
});

test('fails the whole Job on a FailJob rule and stops its other pods', async () => {
  const podFailurePolicy = { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] };
  await withCluster({ mode: 'simulated', simulate: (pod: FakeObject) => (pod.metadata.labels?.['batch.kubernetes.io/job-completion-index'] === '0' ? { exitCode: 42 } : 'hold') }, async (cluster, { batch }) => {
    await batch.createNamespacedJob({ namespace: cluster.namespace, body: indexedJob('fj', { podFailurePolicy }) });
    const job = await finishedJob(cluster, 'fj');
    const failed = condition(job, 'Failed');
    assert.equal(failed.reason, 'PodFailurePolicy');
    assert.match(failed.message, /^Container main for pod caplab\/fj-0-[a-z0-9]{5} failed with exit code 42 matching FailJob rule at index 0$/);
    assert.equal(cluster.state.pods.length, 1, 'held pods of indexes 1 and 2 were deleted');
  });
});

test('fails with BackoffLimitExceeded once failures pass backoffLimit', async () => {
  await withCluster({ mode: 'simulated', faults: [{ kind: 'exit', podIndex: 0, exitCode: 1 }] }, async (cluster, { batch }) => {
    await batch.createNamespacedJob({ namespace: cluster.namespace, body: indexedJob('bl', { completions: 1, parallelism: 1, backoffLimit: 1 }) });
    const job = await finishedJob(cluster, 'bl');
    assert.deepEqual([condition(job, 'Failed')?.reason, job.status.failed], ['BackoffLimitExceeded', 2]);
    assert.ok(cluster.state.events.some((e) => e.reason === 'BackoffLimitExceeded' && e.involvedObject.name === 'bl'));
  });
});

test('fails with DeadlineExceeded after activeDeadlineSeconds and deletes the running pods', async () => {
  await withCluster({ mode: 'simulated', simulate: () => 'hold' }, async (cluster, { batch }) => {
    await batch.createNamespacedJob({ namespace: cluster.namespace, body: indexedJob('dl', { activeDeadlineSeconds: 1 }) });
    const job = await finishedJob(cluster, 'dl', 5000);
    assert.equal(condition(job, 'Failed')?.reason, 'DeadlineExceeded');
    assert.equal(podsOf(cluster, 'dl').length, 0);
  });
});

test('deletes pods with the Job under Background propagation and orphans them by default', async () => {
  await withCluster({ mode: 'simulated', simulate: () => 'hold' }, async (cluster, { batch }) => {
    const namespace = cluster.namespace;
    for (const name of ['bg', 'orphan']) await batch.createNamespacedJob({ namespace, body: indexedJob(name, { completions: 2, parallelism: 2 }) });
    await cluster.waitFor((s) => s.pods.filter((p) => p.status.phase === 'Running').length === 4, 5000, '4 running pods');
    const st = await batch.deleteNamespacedJob({ namespace, name: 'bg', propagationPolicy: 'Background' });
    assert.equal(st.status, 'Success');
    await batch.deleteNamespacedJob({ namespace, name: 'orphan' });
    await cluster.waitFor((s) => s.pods.length === 2, 5000, 'bg pods deleted');
    const left = podsOf(cluster, 'orphan');
    assert.equal(left.length, 2);
    assert.ok(left.every((p) => p.metadata.ownerReferences === undefined && p.status.phase === 'Running'));
  });
});

test('streams a log with follow=true until the process exits', async () => {
  await withCluster({}, async (cluster, { kc }) => {
    const command = ['node', '-e', 'console.log("first"); setTimeout(() => { console.error("second"); }, 300)'];
    await kc.makeApiClient((await import('@kubernetes/client-node')).BatchV1Api).createNamespacedJob({ namespace: cluster.namespace, body: indexedJob('follow', { completions: 1, command }) });
    const pod = await cluster.waitFor((s) => s.pods.find((p) => p.status.phase === 'Running'), 5000, 'running pod');
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += d));
    const ended = new Promise((ok) => out.on('end', ok));
    await new Log(kc).log(cluster.namespace, pod.metadata.name, 'main', out, { follow: true });
    await ended;
    assert.equal(text, 'first\nsecond\n');
    assert.equal(cluster.state.get('pods', pod.metadata.name, cluster.namespace)?.status.phase, 'Succeeded');
  });
});

test('shares a PVC between pods as a local folder and rewrites mount paths in args', async () => {
  await withCluster({}, async (cluster, { core, batch }) => {
    const namespace = cluster.namespace;
    await core.createNamespacedPersistentVolumeClaim({ namespace, body: { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '1Gi' } } } } });
    const withVolume = (name: string, command: string[]) => {
      const job = indexedJob(name, { completions: 1, command });
      job.spec!.template.spec!.volumes = [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }];
      job.spec!.template.spec!.containers[0].volumeMounts = [{ name: 'data', mountPath: '/data' }];
      return job;
    };
    await batch.createNamespacedJob({ namespace, body: withVolume('write', ['node', '-e', 'require("fs").writeFileSync(process.argv[1], "42")', '/data/answer.txt']) });
    assert.ok(condition(await finishedJob(cluster, 'write'), 'Complete'));
    await batch.createNamespacedJob({ namespace, body: withVolume('read', ['node', '-e', 'console.log(require("fs").readFileSync(process.argv[1], "utf8"))', '--file=/data/answer.txt'.slice(7)]) });
    assert.ok(condition(await finishedJob(cluster, 'read'), 'Complete'));
    assert.equal(cluster.state.log(podsOf(cluster, 'read')[0].metadata.name), '42\n');
  });
});

test('deletes a finished Job and its pods after ttlSecondsAfterFinished', async () => {
  await withCluster({ mode: 'simulated' }, async (cluster, { batch }) => {
    await batch.createNamespacedJob({ namespace: cluster.namespace, body: indexedJob('ttl', { ttlSecondsAfterFinished: 0 }) });
    await cluster.waitFor((s) => s.jobs.length === 0 && s.pods.length === 0 && s.events.some((e) => e.reason === 'Completed'), 5000, 'job cleaned up');
  });
});

test('restarts a failing container in place under restartPolicy OnFailure and keeps the previous log', async () => {
  let attempt = 0;
  const simulate = () => (++attempt === 1 ? { exitCode: 1, log: 'attempt 1\n' } : 'hold' as const);
  await withCluster({ mode: 'simulated', simulate }, async (cluster, { core, batch }) => {
    const job = indexedJob('onfail', { completions: 1 });
    job.spec!.template.spec!.restartPolicy = 'OnFailure';
    await batch.createNamespacedJob({ namespace: cluster.namespace, body: job });
    const pod = await cluster.waitFor((s) => s.pods.find((p) => p.status.containerStatuses?.[0]?.restartCount === 1 && p.status.containerStatuses[0].state.running), 5000, 'restarted');
    const last = pod.status.containerStatuses[0].lastState.terminated;
    assert.deepEqual([last.exitCode, last.reason], [1, 'Error']);
    const previous = await core.readNamespacedPodLog({ namespace: cluster.namespace, name: pod.metadata.name, previous: true });
    assert.equal(previous, 'attempt 1\n');
    cluster.finishPod(pod.metadata.name, { exitCode: 0 });
    const done = await finishedJob(cluster, 'onfail');
    assert.ok(condition(done, 'Complete'));
    assert.equal(podsOf(cluster, 'onfail').length, 1);
  });
});

test('holds a suspended Job without pods and runs it once resumed', async () => {
  await withCluster({ mode: 'simulated' }, async (cluster, { batch }) => {
    const job = indexedJob('later');
    job.spec!.suspend = true;
    await batch.createNamespacedJob({ namespace: cluster.namespace, body: job });
    const held = await cluster.waitFor((s) => { const j = s.get('jobs', 'later', cluster.namespace); return condition(j, 'Suspended') && j; }, 5000, 'suspended');
    assert.equal(held.status.startTime, undefined);
    assert.equal(cluster.state.pods.length, 0);
    await batch.patchNamespacedJob({ namespace: cluster.namespace, name: 'later', body: [{ op: 'replace', path: '/spec/suspend', value: false }] });
    const done = await finishedJob(cluster, 'later');
    assert.ok(condition(done, 'Complete'));
    assert.deepEqual(done.status.conditions.find((c: any) => c.type === 'Suspended').reason, 'JobResumed');
  });
});

test('runs a bare pod as a local process and returns the pod from a delete', async () => {
  await withCluster({}, async (cluster, { core }) => {
    const namespace = cluster.namespace;
    await core.createNamespacedPod({ namespace, body: { metadata: { name: 'bare' }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'node:24', command: ['node', '-e', 'console.log(process.env.HOSTNAME)'] }] } } });
    const pod = await cluster.waitFor((s) => s.get('pods', 'bare', namespace)?.status.phase === 'Succeeded', 5000, 'bare pod done');
    assert.ok(pod);
    assert.equal(cluster.state.log('bare'), 'bare\n');
    const gone = await core.deleteNamespacedPod({ namespace, name: 'bare' });
    assert.equal(gone.kind, 'Pod');
    assert.equal(gone.status?.phase, 'Succeeded');
  });
});

test('runs caplab\'s own worker for a caplab image without a command, reading specs from a mounted ConfigMap', async () => {
  await withCluster({}, async (cluster, { core, batch }) => {
    const namespace = cluster.namespace;
    const specs = [0, 1].map((i) => ({ id: `t${i}`, kind: 'noop', payload: {} }));
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'specs' }, data: { 'specs.json': JSON.stringify(specs) } } });
    const job = indexedJob('worker', { completions: 2, image: 'registry.example/caplab:0.1.0' });
    const container = job.spec!.template.spec!.containers[0];
    delete container.command;
    container.args = ['--specs-file', '/etc/caplab/specs.json'];
    container.volumeMounts = [{ name: 'specs', mountPath: '/etc/caplab', readOnly: true }, { name: 'tmp', mountPath: '/tmp' }];
    container.env = [{ name: 'HOME', value: '/tmp' }, { name: 'CAPLAB_SCRATCH', value: '/tmp' }];
    job.spec!.template.spec!.volumes = [{ name: 'specs', configMap: { name: 'specs' } }, { name: 'tmp', emptyDir: {} }];
    await batch.createNamespacedJob({ namespace, body: job });
    const done = await finishedJob(cluster, 'worker', 20_000);
    assert.ok(condition(done, 'Complete'), JSON.stringify(done.status));
    for (const pod of podsOf(cluster, 'worker')) {
      const last = JSON.parse(cluster.state.log(pod.metadata.name).trim().split('\n').at(-1)!);
      const index = Number(pod.metadata.labels?.['batch.kubernetes.io/job-completion-index']);
      assert.deepEqual([last.caplab, last.id, last.status], ['result', `t${index}`, 'ok']);
    }
  });
});

test('deletes a Job in the Foreground only after its pods are gone', async () => {
  await withCluster({ mode: 'simulated', simulate: () => 'hold' }, async (cluster, { batch }) => {
    const namespace = cluster.namespace;
    await batch.createNamespacedJob({ namespace, body: indexedJob('fg', { completions: 2, parallelism: 2 }) });
    await cluster.waitFor((s) => s.pods.filter((p) => p.status.phase === 'Running').length === 2, 5000, 'running');
    const order: string[] = [];
    const done = cluster.waitFor((s) => {
      if (s.pods.length === 0 && !order.includes('pods')) order.push('pods');
      if (s.jobs.length === 0 && !order.includes('job')) order.push('job');
      return order.length === 2;
    }, 5000, 'foreground deletion');
    await batch.deleteNamespacedJob({ namespace, name: 'fg', propagationPolicy: 'Foreground' });
    await done;
    assert.deepEqual(order, ['pods', 'job']);
  });
});

test('stops a running process gracefully when its pod is deleted: deletionTimestamp, then gone', async () => {
  await withCluster({}, async (cluster, { core }) => {
    const namespace = cluster.namespace;
    const seen: string[] = [];
    await core.createNamespacedPod({ namespace, body: { metadata: { name: 'long' }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'node:24', command: ['node', '-e', 'console.log("up"); setInterval(() => {}, 1000)'] }] } } });
    await cluster.waitFor((s) => s.log('long') === 'up\n', 5000, 'process up');
    const deleting = cluster.waitFor((s) => {
      const p = s.get('pods', 'long', namespace);
      if (p?.metadata.deletionTimestamp && !seen.includes('marked')) seen.push('marked');
      return !p;
    }, 5000, 'pod gone');
    const answer = await core.deleteNamespacedPod({ namespace, name: 'long' });
    assert.ok(answer.metadata?.deletionTimestamp);
    assert.equal(answer.metadata?.deletionGracePeriodSeconds, 30);
    await deleting;
    assert.deepEqual(seen, ['marked']);
  });
});

test('waits in CreateContainerConfigError for a missing ConfigMap and starts once it exists', async () => {
  await withCluster({ mode: 'simulated' }, async (cluster, { core, batch }) => {
    const namespace = cluster.namespace;
    const env = [{ name: 'SPECS', valueFrom: { configMapKeyRef: { name: 'late', key: 'specs.json' } } }];
    await batch.createNamespacedJob({ namespace, body: indexedJob('cfg', { completions: 1, env }) });
    const pod = await cluster.waitFor((s) => s.pods.find((p) => p.status.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError'), 5000, 'config error');
    assert.equal(pod.status.containerStatuses[0].state.waiting.message, 'configmap "late" not found');
    assert.ok(cluster.state.events.some((e) => e.reason === 'Failed' && e.message === 'Error: configmap "late" not found'));
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'late' }, data: { 'specs.json': '[]' } } });
    assert.ok(condition(await finishedJob(cluster, 'cfg'), 'Complete'));
  });
});

test('answers tailLines, limitBytes and timestamps on pod logs', async () => {
  await withCluster({ mode: 'simulated', simulate: () => ({ exitCode: 0, log: 'one\ntwo\nthree\n' }) }, async (cluster, { core }) => {
    const namespace = cluster.namespace;
    await core.createNamespacedPod({ namespace, body: { metadata: { name: 'p' }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x' }] } } });
    await cluster.waitFor((s) => s.get('pods', 'p', namespace)?.status.phase === 'Succeeded', 5000, 'done');
    assert.equal(await core.readNamespacedPodLog({ namespace, name: 'p', tailLines: 2 }), 'two\nthree\n');
    assert.equal(await core.readNamespacedPodLog({ namespace, name: 'p', limitBytes: 5 }), 'one\nt');
    const stamped = await core.readNamespacedPodLog({ namespace, name: 'p', timestamps: true });
    assert.match(stamped.split('\n')[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z one$/);
  });
});

test('fails a container whose command does not exist with StartError and exit code 128', async () => {
  await withCluster({}, async (cluster, { core }) => {
    const namespace = cluster.namespace;
    await core.createNamespacedPod({ namespace, body: { metadata: { name: 'nocmd' }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x', command: ['caplab-no-such-binary-xyz'] }] } } });
    const pod = await cluster.waitFor((s) => { const p = s.get('pods', 'nocmd', namespace); return p?.status.phase === 'Failed' && p; }, 5000, 'failed');
    const term = pod.status.containerStatuses[0].state.terminated;
    assert.deepEqual([term.reason, term.exitCode], ['StartError', 128]);
    assert.match(term.message, /exec: "caplab-no-such-binary-xyz": executable file not found in \$PATH/);
  });
});
