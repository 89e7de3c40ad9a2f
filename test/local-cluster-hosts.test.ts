import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostsFor } from '../k8s/local/node/hosts.ts';
import type { WireObject } from '../k8s/local/node/wire.ts';

const pod = (name: string, hostname?: string, subdomain?: string): WireObject => ({
  metadata: { name, namespace: 'caplab', uid: name },
  spec: { hostname, subdomain },
});

const slice = (service: string, ns: string, endpoints: Array<{ ip: string; hostname?: string; ready?: boolean }>): WireObject => ({
  metadata: { name: `${service}-abc`, namespace: ns, uid: `${service}-${ns}`, labels: { 'kubernetes.io/service-name': service } },
  endpoints: endpoints.map((e) => ({ addresses: [e.ip], hostname: e.hostname, conditions: { ready: e.ready ?? true } })),
});

test("a pod's hosts file maps <job>-<index>.<service> of its namespace's headless Services to their pods", () => {
  const text = hostsFor(pod('train-1-xyz', 'train-1', 'ranks'), '10.213.2.5', [
    slice('ranks', 'caplab', [{ ip: '10.213.1.2', hostname: 'train-0' }, { ip: '10.213.2.5', hostname: 'train-1' }]),
    slice('ranks', 'other', [{ ip: '10.213.3.9', hostname: 'train-0' }]),
    slice('web', 'caplab', [{ ip: '10.213.1.7' }]),
  ]);
  const lines = text.split('\n');
  assert.ok(lines.includes('10.213.2.5\ttrain-1.ranks.caplab.svc.cluster.local\ttrain-1'), 'its own name, as the kubelet writes it');
  assert.ok(lines.includes('10.213.1.2\ttrain-0.ranks\ttrain-0.ranks.caplab\ttrain-0.ranks.caplab.svc\ttrain-0.ranks.caplab.svc.cluster.local'));
  assert.ok(!text.includes('10.213.3.9'), 'another namespace does not leak in');
  assert.ok(!text.includes('10.213.1.7'), 'endpoints without a hostname have no name');
  assert.match(text, /^127\.0\.0\.1\tlocalhost$/m);
});

test('endpoints that are not ready get no name yet, and a pod without a subdomain is known by its own name', () => {
  const text = hostsFor(pod('solo'), '10.213.1.3', [slice('ranks', 'caplab', [{ ip: '10.213.1.2', hostname: 'train-0', ready: false }])]);
  assert.ok(!text.includes('train-0'));
  assert.match(text, /^10\.213\.1\.3\tsolo$/m);
});
