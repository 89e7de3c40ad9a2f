import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { makePki } from '../k8s/local/pki.ts';

test('the local PKI signs the API server and node certificates with its own CA, for the addresses they serve on', () => {
  const dir = mkdtempSync(join(tmpdir(), 'caplab-pki-'));
  try {
    const pki = makePki(join(dir, 'pki'), { apiserverIps: ['10.213.0.1'], nodeIps: ['10.213.0.11', '10.213.0.12'] });
    const ca = new X509Certificate(readFileSync(pki.ca.cert));
    assert.equal(ca.ca, true);
    const api = new X509Certificate(readFileSync(pki.apiserver.cert));
    assert.ok(api.checkIssued(ca) && api.verify(ca.publicKey), 'API server certificate is signed by the CA');
    assert.equal(api.ca, false);
    assert.ok(api.checkIP('10.213.0.1') && api.checkIP('127.0.0.1'));
    assert.ok(api.checkHost('kubernetes.default.svc'));
    assert.equal(api.checkIP('10.213.0.99'), undefined);
    const node = new X509Certificate(readFileSync(pki.kubeletServing.cert));
    assert.ok(node.verify(ca.publicKey) && node.checkIP('10.213.0.12'));
    const client = new X509Certificate(readFileSync(pki.kubeletClient.cert));
    assert.ok(client.verify(ca.publicKey));
    assert.match(client.subject, /O=system:masters/);
    assert.deepEqual(client.keyUsage, ['1.3.6.1.5.5.7.3.2'], 'client auth only');
    // The key matches its certificate, and private material is not world-readable.
    assert.ok(api.checkPrivateKey(createPrivateKey(readFileSync(pki.apiserver.key))));
    assert.equal(statSync(pki.dir).mode & 0o077, 0);
    assert.equal(statSync(pki.serviceAccountKey).mode & 0o077, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
