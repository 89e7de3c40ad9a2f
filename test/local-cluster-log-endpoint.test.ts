import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { makePki } from '../k8s/local/pki.ts';
import { Logs } from '../k8s/local/node/logs.ts';
import { startLogServer } from '../k8s/local/node/log-server.ts';

interface Reply { status: number; body: string }

function get(port: number, path: string, tls: { ca: Buffer; cert?: Buffer; key?: Buffer }, onData?: (all: string) => void): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ...tls, servername: 'localhost' }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => { body += d; onData?.(body); }).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the node serves container logs at the kubelet path to the API server certificate only, with tailLines and follow', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'caplab-logs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = makePki(join(dir, 'pki'), { apiserverIps: ['127.0.0.1'], nodeIps: ['127.0.0.1'] });
  const logs = new Logs();
  logs.open('uid-1', 'worker');
  logs.append('uid-1', 'worker', 'one\ntwo\nthree\n');
  const server = await startLogServer({
    host: '127.0.0.1', port: 0, tls: { cert: pki.kubeletServing.cert, key: pki.kubeletServing.key, ca: pki.ca.cert }, logs,
    find: (ns, name) => (ns === 'caplab' && name === 'p-0' ? { uid: 'uid-1', containers: ['worker', 'side'], waiting: (c) => (c === 'side' ? 'ImagePullBackOff' : undefined) } : undefined),
  });
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const asApiserver = { ca: readFileSync(pki.ca.cert), cert: readFileSync(pki.kubeletClient.cert), key: readFileSync(pki.kubeletClient.key) };

  assert.deepEqual(await get(port, '/containerLogs/caplab/p-0/worker?tailLines=2', asApiserver), { status: 200, body: 'two\nthree\n' });
  const waiting = await get(port, '/containerLogs/caplab/p-0/side', asApiserver);
  assert.equal(waiting.status, 400);
  assert.match(waiting.body, /is waiting to start: trying and failing to pull image/);
  assert.equal((await get(port, '/containerLogs/caplab/other/worker', asApiserver)).status, 404);
  await assert.rejects(get(port, '/containerLogs/caplab/p-0/worker', { ca: asApiserver.ca }), 'a client without the API server certificate is turned away');

  // follow: what was there, then new output as it comes, until the container ends.
  const followed = get(port, '/containerLogs/caplab/p-0/worker?follow=true&tailLines=1', asApiserver, (all) => {
    if (all === 'three\n') logs.append('uid-1', 'worker', 'four\n');
    if (all.endsWith('four\n')) logs.end('uid-1', 'worker');
  });
  assert.deepEqual(await followed, { status: 200, body: 'three\nfour\n' });
});
