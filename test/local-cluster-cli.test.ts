import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startLocalCluster, localClusterUnavailable, type LocalCluster } from './helpers/local-cluster.ts';

const skip = localClusterUnavailable() ?? false;
let cluster: LocalCluster;

before(async () => {
  if (!skip) cluster = await startLocalCluster();
});
after(async () => {
  await cluster?.close();
});

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['k8s/local/cluster.ts', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('a second `up` while one runs says so and prints the running one: kubeconfig, server, version, nodes, contexts, bin', { skip }, () => {
  const r = cli('up', '--json');
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /already running/);
  const last = JSON.parse(r.out.trim().split('\n').pop()!);
  assert.equal(last.already, true);
  assert.equal(last.kubeconfig, cluster.cluster.kubeconfig);
  assert.equal(last.server, cluster.server);
  assert.match(last.version, /^v1\.34\.\d+$/);
  assert.deepEqual(last.contexts, ['caplab-local-admin', 'caplab-local-user']);
  assert.ok(last.nodes.length >= 1);
  assert.equal(last.bin, cluster.bin);
  const kc = JSON.parse(readFileSync(last.kubeconfig, 'utf8'));
  assert.deepEqual(kc.contexts.map((c: any) => c.name), last.contexts);
});

test('the built kubectl reaches the cluster with the written kubeconfig, and every node is Ready with capacity and its log port', { skip }, () => {
  const r = spawnSync(`${cluster.bin}/kubectl`, ['--kubeconfig', cluster.cluster.kubeconfig, 'get', 'nodes', '-o', 'json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const nodes = JSON.parse(r.stdout).items;
  assert.equal(nodes.length, cluster.cluster.nodes.length);
  for (const n of nodes) {
    assert.ok(n.status.conditions.some((c: any) => c.type === 'Ready' && c.status === 'True'));
    assert.deepEqual(n.status.capacity, n.status.allocatable);
    assert.ok(Number(n.status.capacity.pods) > 0);
    assert.ok(n.status.daemonEndpoints.kubeletEndpoint.Port > 0);
    assert.ok(n.status.addresses.some((a: any) => a.type === 'InternalIP' && !a.address.startsWith('127.')));
    assert.equal(n.spec.taints, undefined);
  }
});
