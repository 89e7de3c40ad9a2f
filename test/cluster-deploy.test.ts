import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { startLocalCluster, localClusterUnavailable, type LocalCluster } from './helpers/local-cluster.ts';
import { listWatch } from '../k8s/local/api.ts';

const DEPLOY = join(import.meta.dirname, '..', 'k8s', 'deploy.ts');

function deploy(...args: string[]) {
  const r = spawnSync(process.execPath, [DEPLOY, ...args], { encoding: 'utf8' });
  const commands = r.stdout.split('\n').filter((l) => l.startsWith('$ ')).map((l) => l.slice(2));
  return { ...r, commands };
}

test('deploy --dry-run checks kubectl and the cluster, then applies k8s/ and says what to run next', () => {
  const r = deploy('--dry-run');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.commands, ['kubectl version --client', 'kubectl get --raw /version', 'kubectl apply -k k8s']);
  assert.match(r.stdout, /# next\nnode bin\/caplab\.js cluster check\n/);
  assert.match(r.stdout, /--executor kubernetes --image caplab:0\.1\.0/);
});

test('deploy builds and pushes the image, or loads it into kind, when asked', () => {
  const push = deploy('--dry-run', '--image', 'reg.example/caplab:1', '--build', '--push', '--context', 'prod');
  assert.deepEqual(push.commands, [
    'kubectl version --client',
    'kubectl --context prod get --raw /version',
    'docker build -f k8s/Dockerfile -t reg.example/caplab:1 .',
    'docker push reg.example/caplab:1',
    'kubectl --context prod apply -k k8s',
  ]);
  const kind = deploy('--dry-run', '--build', '--kind', 'caplab');
  assert.ok(kind.commands.includes('kind load docker-image caplab:0.1.0 --name caplab'));
  assert.ok(!kind.commands.some((c) => c.startsWith('docker push')));
});

test('deploy prepares data with a Job named by its command and waits for it', () => {
  const r = deploy('--dry-run', '--data-job', 'data generate --scale 10 --out /data/synthetic-10');
  const apply = r.commands.find((c) => / apply -f .*data-job\.yaml$/.test(c));
  assert.ok(apply, r.stdout);
  const wait = r.commands.find((c) => c.includes(' wait '));
  assert.match(wait!, /^kubectl -n caplab wait --for=condition=complete job\/caplab-data-[0-9a-f]{10} --timeout=60m$/);
  const again = deploy('--dry-run', '--data-job', 'data generate --scale 10 --out /data/synthetic-10');
  assert.equal(again.commands.find((c) => c.includes(' wait ')), wait, 'the same data Job on a second run');
});

test('deploy is safe to run twice: it only applies, gets and waits, never creates or deletes', () => {
  const r = deploy('--dry-run', '--build', '--push', '--data-job', 'data generate --out /data/s', '--namespace', 'team-a');
  assert.equal(r.status, 0, r.stderr);
  for (const c of r.commands.filter((c) => c.startsWith('kubectl'))) {
    assert.match(c, / (apply|get|wait|version) /, c);
    assert.doesNotMatch(c, / (create|delete|replace) /, c);
  }
  // Another namespace gets the manifests rendered for it.
  assert.ok(r.commands.some((c) => /^kubectl apply -k \/.*caplab-deploy-/.test(c)), r.stdout);
  assert.match(r.stdout, /cluster check --namespace team-a/);
});

test('deploy --help explains the options; an unknown option fails', () => {
  const help = deploy('--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--data-job/);
  const bad = deploy('--bogus');
  assert.notEqual(bad.status, 0);
});

test('deploy really applies k8s/ with the built kubectl and its validation, and a second run changes nothing', { skip: localClusterUnavailable() ?? false }, async () => {
  const c = await startLocalCluster();
  const env = { ...process.env, KUBECONFIG: c.cluster.kubeconfig, PATH: `${c.bin}${delimiter}${process.env.PATH}` };
  const run = () => {
    const r = spawnSync(process.execPath, [DEPLOY], { env, encoding: 'utf8' });
    return { status: r.status, out: r.stdout + r.stderr };
  };
  const ns = '/api/v1/namespaces/caplab';
  const objects = async () => [
    await c.api.get('/apis/rbac.authorization.k8s.io/v1/namespaces/caplab/roles/caplab-user'),
    await c.api.get('/apis/rbac.authorization.k8s.io/v1/namespaces/caplab/rolebindings/caplab-user'),
    await c.api.get(`${ns}/serviceaccounts/caplab-worker`),
    await c.api.get(`${ns}/persistentvolumeclaims/caplab-data`),
  ];
  try {
    const first = run();
    assert.equal(first.status, 0, first.out);
    const [, , sa, pvc] = await objects();
    assert.equal(sa.automountServiceAccountToken, false);
    assert.deepEqual(pvc.spec.resources.requests, { storage: '10Gi' });
    // The provisioner and the PersistentVolume controller bind the claim; after that it stays as is.
    await waitBound(c);
    const before = (await objects()).map((o) => o.metadata.resourceVersion);
    const second = run();
    assert.equal(second.status, 0, second.out);
    assert.match(second.out, /unchanged/);
    assert.doesNotMatch(second.out, /configured|created/);
    assert.deepEqual((await objects()).map((o) => o.metadata.resourceVersion), before, 'a second deploy changed nothing');
  } finally {
    await c.close();
  }
});

/** Resolves when caplab-data (in caplab, outside the helper's namespace) is Bound: watched, not polled. */
function waitBound(c: LocalCluster): Promise<void> {
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => (w.stop(), fail(new Error('caplab-data was not Bound within 60 s'))), 60_000);
    const check = (pvc: any) => {
      if (pvc.metadata.name !== 'caplab-data' || pvc.status?.phase !== 'Bound') return;
      clearTimeout(timer);
      w.stop();
      ok();
    };
    const w = listWatch(c.api, '/api/v1/namespaces/caplab/persistentvolumeclaims', {}, { onList: (items) => items.forEach(check), onEvent: (_t, o) => check(o) });
  });
}
