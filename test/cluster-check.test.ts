import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalCluster, localClusterUnavailable } from './helpers/local-cluster.ts';
import { clusterCheck, formatClusterCheck, isCaplabError } from '../lib/index.ts';
import { loadKube } from '../lib/cluster/index.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'caplab.js');
const tmp = await mkdtemp(join(tmpdir(), 'caplab-check-'));
const skip = localClusterUnavailable() ?? false;
after(() => rm(tmp, { recursive: true, force: true }));

for (const who of ['admin', 'caplab-user'] as const) {
  test(`cluster check as ${who} on a ready cluster names the context, version, nodes and every permission`, { skip }, async () => {
    const c = await startLocalCluster();
    try {
      const r = await clusterCheck({ kubeconfig: who === 'admin' ? c.kubeconfigPath : c.userKubeconfigPath });
      assert.equal(r.reachable, true);
      assert.equal(r.context, who === 'admin' ? c.contextName : c.userContextName);
      assert.match(r.serverVersion ?? '', /^v1\.34\.\d+$/);
      assert.equal(r.namespace, c.namespace);
      // caplab-user may not read Namespace objects (k8s/rbac.yaml grants none): unknown, not missing.
      assert.equal(r.namespaceExists, who === 'admin' ? true : undefined);
      const nodes = (await c.api.get('/api/v1/nodes')).items;
      assert.equal(r.nodes.length, nodes.length);
      assert.ok(r.nodes.every((n) => n.ready && n.cpu > 0 && n.memoryBytes > 0));
      assert.ok(r.permissions.length >= 20 && r.permissions.every((p) => p.allowed === true), JSON.stringify(r.permissions.filter((p) => !p.allowed)));
      assert.equal(r.ok, true);
      // The PVC is not there until k8s/ is applied: a gap with the fix, but not a blocker.
      assert.equal(r.pvc?.exists, false);
      const text = formatClusterCheck(r);
      assert.match(text, /cluster: {4}reachable, Kubernetes v1\.34\.\d+/);
      assert.match(text, new RegExp(`nodes: {6}${nodes.length} \\(${nodes.length} ready\\)`));
      assert.match(text, /PVC caplab-data is missing[\s\S]*→ Run `npm run deploy`/);
    } finally {
      await c.close();
    }
  });
}

test('cluster check reports a permission the Role does not grant as a gap with the RBAC fix', { skip }, async () => {
  const c = await startLocalCluster({ roleRules: (rules) => rules.map((r) => (r.resources.includes('jobs') ? { ...r, verbs: r.verbs.filter((v: string) => v !== 'create') } : r)) });
  try {
    const r = await clusterCheck({ kubeconfig: c.userKubeconfigPath });
    assert.equal(r.ok, false);
    assert.equal(r.permissions.find((p) => p.resource === 'jobs' && p.verb === 'create')?.allowed, false);
    const gap = r.gaps.find((g) => /may not: create jobs/.test(g.problem));
    assert.ok(gap, JSON.stringify(r.gaps));
    assert.match(gap!.fix, /k8s\/rbac\.yaml[\s\S]*kubectl create rolebinding/);
  } finally {
    await c.close();
  }
});

test('cluster check says plainly when there is no kubeconfig or the server does not answer', async () => {
  const none = await clusterCheck({ kubeconfig: join(tmp, 'missing') });
  assert.deepEqual([none.reachable, none.kubeconfig, none.ok], [false, null, false]);
  assert.match(none.gaps[0].fix, /KUBECONFIG/);

  // A port nothing listens on: connection refused, fast.
  const port = await new Promise<number>((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => ok(p));
    });
  });
  const file = join(tmp, 'kubeconfig');
  await writeFile(file, `apiVersion: v1\nkind: Config\nclusters:\n- name: gone\n  cluster: {server: "http://127.0.0.1:${port}"}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: gone\n  context: {cluster: gone, user: u}\ncurrent-context: gone\n`);
  const down = await clusterCheck({ kubeconfig: file, timeoutMs: 3000 });
  assert.equal(down.reachable, false);
  assert.equal(down.context, 'gone');
  assert.match(down.gaps[0].problem, /is not reachable/);
  assert.match(formatClusterCheck(down), /NOT reachable/);
});

test('loadKube refuses an unknown context and lists the known ones', { skip }, async () => {
  const c = await startLocalCluster();
  try {
    await assert.rejects(loadKube({ kubeconfig: c.kubeconfigPath, context: 'nope' }), (e: unknown) => isCaplabError(e, 'no-context') && /contexts: caplab-local-admin, caplab-local-user/.test((e as Error).message));
    const kube = await loadKube({ kubeconfig: c.kubeconfigPath, namespace: 'other' });
    assert.equal(kube.namespace, 'other');
  } finally {
    await c.close();
  }
});

test('caplab cluster check --json prints the report last and exits 0 when ready', { skip }, async () => {
  const c = await startLocalCluster();
  try {
    const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((ok) => {
      import('node:child_process').then(({ spawn }) => {
        const p = spawn(process.execPath, [BIN, 'cluster', 'check', '--json', '--kubeconfig', c.kubeconfigPath]);
        let stdout = '';
        let stderr = '';
        p.stdout.on('data', (d) => (stdout += d));
        p.stderr.on('data', (d) => (stderr += d));
        p.on('close', (status) => ok({ status, stdout, stderr }));
      });
    });
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.match(report.serverVersion, /^v1\.34\.\d+$/);
    assert.match(r.stderr, /Ready: caplab can run searches|thing/);
  } finally {
    await c.close();
  }
});

test('caplab cluster manifests --check k8s passes on the committed files', () => {
  const r = spawnSync(process.execPath, [BIN, 'cluster', 'manifests', '--check', join(import.meta.dirname, '..', 'k8s')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const printed = spawnSync(process.execPath, [BIN, 'cluster', 'manifests'], { encoding: 'utf8' });
  assert.match(printed.stdout, /# ---- k8s\/rbac\.yaml/);
});
