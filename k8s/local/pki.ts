/**
 * The local control plane's certificates: one CA, a serving certificate for the API server, a
 * client certificate the API server shows the node agents, a serving certificate for the node
 * agents' log endpoints, and the service-account signing key pair.
 *
 * Keys come from Node's crypto; certificates from the `openssl` command, because Node can read
 * X.509 certificates but cannot sign one, and openssl is on Debian (and nearly every Linux
 * machine) already, where the alternative was a new dependency or a hand-written DER encoder.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CertPair {
  cert: string;
  key: string;
}

export interface Pki {
  dir: string;
  ca: CertPair;
  apiserver: CertPair;
  /** What kube-apiserver presents to the node agents when it proxies pods/log. */
  kubeletClient: CertPair;
  /** What the node agents serve their /containerLogs endpoint with. */
  kubeletServing: CertPair;
  /** Service-account token signing key (private) and its public half. */
  serviceAccountKey: string;
  serviceAccountPub: string;
}

export interface PkiOptions {
  /** IPs the API server is reached at (the advertise address first). */
  apiserverIps: string[];
  /** IPs the node agents serve logs on. */
  nodeIps: string[];
  /** Certificate lifetime. Default 30 days: a local cluster never lives that long. */
  days?: number;
}

function openssl(args: string[], input?: string): string {
  try {
    return execFileSync('openssl', args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { code?: string; stderr?: string };
    if (err.code === 'ENOENT') throw new Error('openssl is not installed; the local control plane needs it for its certificates (apt-get install openssl).');
    throw new Error(`openssl ${args[0]} failed: ${String(err.stderr ?? e).trim()}`);
  }
}

function ecKey(path: string): void {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
}

function serial(): string {
  // Positive 63-bit serial: openssl takes it as hex with 0x.
  return '0x' + (randomBytes(8).readBigUInt64BE() >> 1n).toString(16);
}

export interface Subject {
  cn: string;
  org?: string;
  ips?: string[];
  dns?: string[];
  usage: 'server' | 'client';
}

/** A certificate for `s`, signed by `ca`, written as `<dir>/<name>.crt` and `.key`. */
export function issue(dir: string, name: string, ca: CertPair, s: Subject, days: number): CertPair {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  ecKey(key);
  const subj = `/CN=${s.cn}${s.org ? `/O=${s.org}` : ''}`;
  const csr = openssl(['req', '-new', '-key', key, '-subj', subj]);
  const san = [...(s.dns ?? []).map((d) => `DNS:${d}`), ...(s.ips ?? []).map((ip) => `IP:${ip}`)];
  const ext = [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${s.usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
    ...(san.length ? [`subjectAltName=${san.join(',')}`] : []),
  ].join('\n');
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, ext + '\n');
  openssl(['x509', '-req', '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', serial(), '-days', String(days), '-sha256', '-extfile', extFile, '-out', cert], csr);
  return { cert, key };
}

/** Writes a fresh PKI into `dir` (made 0700: it holds private keys). */
export function makePki(dir: string, o: PkiOptions): Pki {
  const days = o.days ?? 30;
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o700);
  const ca = { cert: join(dir, 'ca.crt'), key: join(dir, 'ca.key') };
  ecKey(ca.key);
  openssl([
    'req', '-x509', '-new', '-key', ca.key, '-subj', '/CN=caplab-local-ca', '-days', String(days), '-sha256', '-set_serial', serial(),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature', '-out', ca.cert,
  ]);
  const apiserver = issue(dir, 'apiserver', ca, {
    cn: 'kube-apiserver',
    usage: 'server',
    ips: [...new Set([...o.apiserverIps, '127.0.0.1'])],
    dns: ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'localhost'],
  }, days);
  // system:masters: the API server may read any node's logs, as the kubelet's authorizer would allow.
  const kubeletClient = issue(dir, 'apiserver-kubelet-client', ca, { cn: 'kube-apiserver-kubelet-client', org: 'system:masters', usage: 'client' }, days);
  const kubeletServing = issue(dir, 'kubelet', ca, { cn: 'caplab-local-node', usage: 'server', ips: o.nodeIps, dns: ['localhost'] }, days);
  const sa = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const serviceAccountKey = join(dir, 'sa.key');
  const serviceAccountPub = join(dir, 'sa.pub');
  writeFileSync(serviceAccountKey, sa.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(serviceAccountPub, sa.publicKey.export({ type: 'spki', format: 'pem' }));
  return { dir, ca, apiserver, kubeletClient, kubeletServing, serviceAccountKey, serviceAccountPub };
}
