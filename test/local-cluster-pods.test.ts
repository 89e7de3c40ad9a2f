import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BatchV1Api, CoreV1Api, KubeConfig, ApiException } from '@kubernetes/client-node';
import { startLocalCluster, localClusterUnavailable, type LocalCluster } from './helpers/local-cluster.ts';
import type { WireObject } from '../k8s/local/node/wire.ts';

const skip = localClusterUnavailable() ?? false;
let cluster: LocalCluster;

before(async () => {
  if (!skip) cluster = await startLocalCluster();
});
after(async () => {
  await cluster?.close();
});

interface JobOptions {
  completions?: number;
  command: string[];
  image?: string;
  memory?: string;
  subdomain?: string;
  env?: object[];
  volumes?: object[];
  volumeMounts?: object[];
}

function job(name: string, o: JobOptions): object {
  const resources = { requests: { cpu: '100m', memory: o.memory ?? '128Mi' }, limits: { cpu: '500m', memory: o.memory ?? '128Mi' } };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      completionMode: 'Indexed',
      completions: o.completions ?? 1,
      parallelism: o.completions ?? 1,
      backoffLimit: 0,
      template: {
        spec: {
          restartPolicy: 'Never',
          ...(o.subdomain ? { subdomain: o.subdomain } : {}),
          containers: [{ name: 'main', image: o.image ?? 'node:24', command: o.command, resources, env: o.env, volumeMounts: o.volumeMounts }],
          volumes: o.volumes,
        },
      },
    },
  };
}

const finished = (s: LocalCluster['state'], name: string) => {
  const j = s.get('jobs', name);
  return (j?.status?.conditions ?? []).find((c: any) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') ? j : undefined;
};
const podsOf = (s: LocalCluster['state'], name: string) => s.pods.filter((p) => p.metadata.labels?.['batch.kubernetes.io/job-name'] === name);
const indexOf = (p: WireObject) => Number(p.metadata.annotations?.['batch.kubernetes.io/job-completion-index']);

test('an Indexed Job runs on the process nodes: each pod gets its JOB_COMPLETION_INDEX and a pod IP, its log comes through the API server', { skip }, async () => {
  await cluster.api.post(`/apis/batch/v1/namespaces/${cluster.namespace}/jobs`, job('hello', {
    completions: 3,
    command: ['node', '-e', 'console.log(JSON.stringify({ index: Number(process.env.JOB_COMPLETION_INDEX), ip: process.env.MY_IP, pod: process.env.MY_POD }))'],
    env: [{ name: 'MY_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }, { name: 'MY_POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
  }));
  const done = await cluster.waitFor((s) => finished(s, 'hello'), 90_000, 'job hello to finish');
  assert.equal(done.status.succeeded, 3, JSON.stringify(done.status));
  const pods = await cluster.waitFor((s) => {
    const ps = podsOf(s, 'hello').filter((p) => p.status?.phase === 'Succeeded');
    return ps.length === 3 && ps;
  }, 30_000, 'three succeeded pods');
  for (const p of pods) {
    assert.doesNotMatch(p.status.podIP, /^127\./, 'pod IPs are not loopback');
    const line = JSON.parse((await cluster.log(p.metadata.name)).trim().split('\n').pop()!);
    assert.deepEqual(line, { index: indexOf(p), ip: p.status.podIP, pod: p.metadata.name });
    const term = p.status.containerStatuses[0].state.terminated;
    assert.deepEqual([term.reason, term.exitCode], ['Completed', 0]);
  }
});

test('a container over its memory limit is OOM-killed by the kernel: terminated reason OOMKilled, exit 137, Job Failed', { skip }, async () => {
  await cluster.api.post(`/apis/batch/v1/namespaces/${cluster.namespace}/jobs`, job('hog', {
    memory: '96Mi',
    command: ['node', '-e', 'const a = []; for (;;) a.push(Buffer.alloc(1 << 20).fill(1));'],
  }));
  const pod = await cluster.waitFor((s) => podsOf(s, 'hog').find((p) => p.status?.containerStatuses?.[0]?.state?.terminated), 90_000, 'the hog to be killed');
  const term = pod.status.containerStatuses[0].state.terminated;
  assert.deepEqual([term.reason, term.exitCode, pod.status.phase], ['OOMKilled', 137, 'Failed']);
  await cluster.waitFor((s) => finished(s, 'hog'), 60_000, 'job hog to fail');
});

test('an image a process node does not have: ErrImagePull, then ImagePullBackOff, with the kubelet events; the pod stays Pending', { skip }, async () => {
  await cluster.api.post(`/apis/batch/v1/namespaces/${cluster.namespace}/jobs`, job('nopull', { image: 'registry.invalid/nothing:1', command: ['true'] }));
  const pod = await cluster.waitFor((s) => podsOf(s, 'nopull').find((p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff'), 60_000, 'ImagePullBackOff');
  assert.equal(pod.status.phase, 'Pending');
  const reasons = await cluster.waitFor((s) => {
    const mine = s.events.filter((e) => e.involvedObject?.uid === pod.metadata.uid).map((e) => `${e.reason}:${e.message}`);
    return mine.some((m) => m === 'Failed:Error: ErrImagePull') && mine.some((m) => m === 'Failed:Error: ImagePullBackOff') && mine.some((m) => m.startsWith('BackOff:')) && mine;
  }, 30_000, 'pull events');
  assert.ok(reasons.some((r) => r.startsWith('Pulling:')));
});

test('<job>-<index>.<service> of a headless Service resolves to that pod: rank 1 reaches rank 0 by name', { skip }, async (t) => {
  if (cluster.cluster.network.mode !== 'netns') return t.skip(`pods are host processes here: ${cluster.cluster.network.why}`);
  const ns = cluster.namespace;
  await cluster.api.post(`/api/v1/namespaces/${ns}/services`, {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'ranks' },
    spec: { clusterIP: 'None', selector: { 'batch.kubernetes.io/job-name': 'pair' }, ports: [{ name: 'rdv', port: 29500 }] },
  });
  const rank0 = "require('http').createServer((q, r) => { r.end(process.env.MY_IP); setTimeout(() => process.exit(0), 100); }).listen(29500)";
  const rank1 = `const go = () => fetch('http://pair-0.ranks:29500').then((r) => r.text()).then((t) => console.log(JSON.stringify({ rank0: t })), () => setTimeout(go, 200)); go();`;
  await cluster.api.post(`/apis/batch/v1/namespaces/${ns}/jobs`, job('pair', {
    completions: 2,
    subdomain: 'ranks',
    command: ['sh', '-c', `if [ "$JOB_COMPLETION_INDEX" = 0 ]; then exec node -e "${rank0}"; else exec node -e "${rank1}"; fi`],
    env: [{ name: 'MY_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
  }));
  const done = await cluster.waitFor((s) => finished(s, 'pair'), 120_000, 'job pair to finish');
  assert.equal(done.status.succeeded, 2, JSON.stringify(done.status));
  const pods = podsOf(cluster.state, 'pair');
  const p0 = pods.find((p) => indexOf(p) === 0)!;
  const p1 = pods.find((p) => indexOf(p) === 1)!;
  const line = JSON.parse((await cluster.log(p1.metadata.name)).trim());
  assert.equal(line.rank0, p0.status.podIP);
});

test('a ConfigMap reaches env and a volume, and a claim is provisioned, bound and mounted as a host folder', { skip }, async () => {
  const ns = cluster.namespace;
  await cluster.api.post(`/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { greeting: 'hej', 'spec.json': '{"n":3}' } });
  await cluster.api.post(`/api/v1/namespaces/${ns}/persistentvolumeclaims`, {
    apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'store' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  });
  const bound = await cluster.waitFor((s) => s.get('persistentvolumeclaims', 'store')?.status?.phase === 'Bound' && s.get('persistentvolumeclaims', 'store'), 60_000, 'the claim to be Bound');
  assert.equal(bound.spec.storageClassName, 'caplab-local');
  // Paths reach the process through env and arguments, where the node rewrites mount paths to their folders.
  const write = `const fs = require('fs'); const spec = JSON.parse(fs.readFileSync(process.env.SPEC, 'utf8')); fs.writeFileSync(process.env.OUT + '/' + process.env.JOB_COMPLETION_INDEX, process.env.GREETING + ' ' + spec.n); console.log('ok');`;
  const read = `console.log(require('fs').readFileSync(process.argv[1] + '/0', 'utf8'))`;
  const mounts = { volumes: [{ name: 'config', configMap: { name: 'cfg' } }, { name: 'out', persistentVolumeClaim: { claimName: 'store' } }], volumeMounts: [{ name: 'config', mountPath: '/config' }, { name: 'out', mountPath: '/out' }] };
  const env = [{ name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'greeting' } } }, { name: 'SPEC', value: '/config/spec.json' }, { name: 'OUT', value: '/out' }];
  await cluster.api.post(`/apis/batch/v1/namespaces/${ns}/jobs`, job('writer', { command: ['node', '-e', write], env, ...mounts }));
  assert.equal((await cluster.waitFor((s) => finished(s, 'writer'), 90_000, 'writer')).status.succeeded, 1);
  await cluster.api.post(`/apis/batch/v1/namespaces/${ns}/jobs`, job('reader', { command: ['node', '-e', read, '/out'], ...mounts }));
  assert.equal((await cluster.waitFor((s) => finished(s, 'reader'), 90_000, 'reader')).status.succeeded, 1);
  const reader = podsOf(cluster.state, 'reader')[0]!;
  assert.equal((await cluster.log(reader.metadata.name)).trim(), 'hej 3');
});

test('caplab-user gets what k8s/rbac.yaml grants in its namespace and a 403 from RBAC beyond it', { skip }, async () => {
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.userKubeconfigPath);
  const batch = kc.makeApiClient(BatchV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  await batch.listNamespacedJob({ namespace: cluster.namespace });
  const denied = await core.listNamespacedSecret({ namespace: cluster.namespace }).then(() => undefined, (e) => e);
  assert.ok(denied instanceof ApiException);
  assert.equal(denied.code, 403);
  assert.match(JSON.parse(denied.body).message, /User "caplab-user" cannot list resource "secrets"/);
});

test('deleting a pod stops it gracefully: SIGTERM first, SIGKILL after the grace period, a terminal status, then gone', { skip }, async () => {
  const ns = cluster.namespace;
  const seen: string[] = [];
  const { listWatch } = await import('../k8s/local/api.ts');
  const w = listWatch(cluster.api, `/api/v1/namespaces/${ns}/pods`, {}, {
    onList: () => {},
    onEvent: (type, p) => {
      if (!p.metadata.name.startsWith('grace-')) return;
      const t = p.status?.containerStatuses?.[0]?.state?.terminated;
      seen.push(`${p.metadata.name} ${type} ${p.status?.phase}${t ? ` ${t.reason}/${t.exitCode}` : ''}`);
    },
  });
  try {
    const pod = (name: string, code: string) => ({
      apiVersion: 'v1', kind: 'Pod', metadata: { name },
      spec: { terminationGracePeriodSeconds: 2, restartPolicy: 'Never', containers: [{ name: 'main', image: 'node:24', command: ['node', '-e', code] }] },
    });
    // One leaves on SIGTERM with exit 0; the other ignores it and is killed when the grace is over.
    await cluster.api.post(`/api/v1/namespaces/${ns}/pods`, pod('grace-polite', "process.on('SIGTERM', () => process.exit(0)); console.log('up'); setInterval(() => {}, 1000);"));
    await cluster.api.post(`/api/v1/namespaces/${ns}/pods`, pod('grace-stubborn', "process.on('SIGTERM', () => console.log('no')); console.log('up'); setInterval(() => {}, 1000);"));
    await cluster.waitFor((s) => ['grace-polite', 'grace-stubborn'].every((n) => s.get('pods', n)?.status?.phase === 'Running'), 60_000, 'both running');
    // Running is reported when the process starts; its first log line says its handler is in place.
    for (const n of ['grace-polite', 'grace-stubborn']) await cluster.follow(n, 'up\n');
    for (const n of ['grace-polite', 'grace-stubborn']) await cluster.api.delete(`/api/v1/namespaces/${ns}/pods/${n}`);
    await cluster.waitFor((s) => !s.get('pods', 'grace-polite') && !s.get('pods', 'grace-stubborn'), 60_000, 'both pods gone');
    assert.ok(seen.includes('grace-polite MODIFIED Succeeded Completed/0'), seen.join('\n'));
    assert.ok(seen.includes('grace-stubborn MODIFIED Failed Error/137'), seen.join('\n'));
    assert.ok(cluster.state.events.some((e) => e.reason === 'Killing' && e.involvedObject.name === 'grace-stubborn'));
  } finally {
    w.stop();
  }
});
