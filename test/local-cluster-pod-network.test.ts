import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createPodNetwork, removePodNetwork, namesFor } from '../k8s/local/node/netns.ts';

const root = process.getuid?.() === 0 && spawnSync('ip', ['netns', 'list']).status === 0;
// A bridge of the test's own, without a host address: pod-to-pod traffic only.
const BRIDGE = `clt${process.pid % 100000}`;

function inPod(exec: string[], code: string): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn(exec[0]!, [...exec.slice(1), process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('close', () => resolve(out.trim()));
  });
}

test('pods in their own network namespaces reach each other by the names in their hosts file, and nothing else', { skip: root ? false : 'needs root and ip netns' }, async (t) => {
  spawnSync('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
  spawnSync('ip', ['link', 'set', BRIDGE, 'up']);
  const uids = [`aaaa${process.pid}-0`, `bbbb${process.pid}-1`];
  t.after(() => {
    for (const u of uids) removePodNetwork(u);
    spawnSync('ip', ['link', 'del', BRIDGE]);
  });
  const a = createPodNetwork(uids[0]!, '10.213.201.2', 16, BRIDGE);
  const b = createPodNetwork(uids[1]!, '10.213.201.3', 16, BRIDGE);
  writeFileSync(b.hostsFile, '127.0.0.1\tlocalhost\n10.213.201.2\ttrain-0.ranks\n');
  const server = spawn(a.exec[0]!, [...a.exec.slice(1), process.execPath, '-e', "require('http').createServer((q, r) => r.end('rank 0')).listen(8080, () => console.log('up'))"], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => server.kill('SIGKILL'));
  await new Promise((r) => server.stdout.once('data', r));
  const reply = await inPod(b.exec, "fetch('http://train-0.ranks:8080').then((r) => r.text()).then(console.log, (e) => console.log('error', e.cause?.code))");
  assert.equal(reply, 'rank 0');
  // The hosts file is updated in place: a name added later resolves without restarting the pod.
  writeFileSync(b.hostsFile, '127.0.0.1\tlocalhost\n10.213.201.2\ttrain-0.ranks\n10.213.201.2\tlate.ranks\n');
  assert.equal(await inPod(b.exec, "require('dns').lookup('late.ranks', (e, a) => console.log(e ? e.code : a))"), '10.213.201.2');
  const routes = spawnSync('ip', ['-n', a.namespace, 'route'], { encoding: 'utf8' }).stdout;
  assert.doesNotMatch(routes, /default/, 'no default route: pods reach nothing off the bridge');
  assert.match(await inPod(b.exec, "require('net').connect(53, '192.0.2.1').on('error', (e) => console.log(e.code))"), /ENETUNREACH/);
  removePodNetwork(uids[0]!);
  assert.equal(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.includes(namesFor(uids[0]!).namespace), false);
  assert.equal(existsSync(a.hostsFile), false);
});
