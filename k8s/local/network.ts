/**
 * The local cluster's network, host side. With root and `ip netns`, pods get their own network
 * namespace on a bridge (`caplab0`) in a private range used only by this cluster: pod IPs are
 * real, non-loopback addresses, a headless Service's `<pod>.<service>` names can point at them,
 * and nothing routes off the machine (pods get no default route, the host forwards nothing).
 * Without root the pods are host processes and the cluster says so.
 */
import { spawnSync } from 'node:child_process';
import { networkInterfaces } from 'node:os';

export const BRIDGE = 'caplab0';
export const CIDR = '10.213.0.0/16';
export const PREFIX = 16;
export const GATEWAY = '10.213.0.1';
/** Virtual only: Service cluster IPs are never routed (no kube-proxy), just allocated. */
export const SERVICE_CIDR = '10.213.252.0/22';

export type NetworkMode = { mode: 'netns'; bridge: string; cidr: string; gateway: string } | { mode: 'host'; why: string; address: string };

export function nodeIp(index: number): string {
  return `10.213.0.${10 + index}`;
}

/** Node `index` (1-based) hands out pod IPs from 10.213.<index>.0/24. */
export function nodePodCidr(index: number): string {
  return `10.213.${index}.0/24`;
}

function ip(args: string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.error) return { ok: false, out: '', err: r.error.message };
  return { ok: r.status === 0, out: r.stdout, err: r.stderr.trim() };
}

/** Throws with the command and its output. */
export function ipOrThrow(args: string[]): string {
  const r = ip(args);
  if (!r.ok) throw new Error(`ip ${args.join(' ')} failed: ${r.err}`);
  return r.out;
}

function hostAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  throw new Error('this machine has no non-loopback IPv4 address; the API server needs one to advertise (Endpoints refuse 127.0.0.0/8).');
}

function overlapsOtherRoute(): string | undefined {
  const r = ip(['-4', 'route', 'show', 'table', 'all']);
  for (const line of r.out.split('\n')) {
    const dst = line.split(' ')[0] ?? '';
    if (line.includes(`dev ${BRIDGE}`) || !/^10\.213\./.test(dst)) continue;
    return line;
  }
  return undefined;
}

/** Network namespaces when this process may make them, else host processes with the reason. */
export function chooseNetwork(): NetworkMode {
  const host = (why: string): NetworkMode => ({ mode: 'host', why, address: hostAddress() });
  if (process.platform !== 'linux') return host('network namespaces are Linux only');
  if (process.getuid?.() !== 0) return host('network namespaces need root; pods run as host processes and <pod>.<service> names do not resolve');
  const probe = ip(['netns', 'list']);
  if (!probe.ok) return host(`\`ip netns\` is not usable (${probe.err || 'iproute2 missing'})`);
  const clash = overlapsOtherRoute();
  if (clash) return host(`the pod range ${CIDR} is already routed on this machine (${clash})`);
  return { mode: 'netns', bridge: BRIDGE, cidr: CIDR, gateway: GATEWAY };
}

/** The bridge with the gateway and every node's address on it. */
export function setupBridge(nodeIps: string[]): void {
  if (ip(['link', 'show', BRIDGE]).ok) {
    // Not ours (our own leftovers are removed by `down` before a fresh start): another local cluster's.
    throw new Error(`the bridge ${BRIDGE} exists already: another local control plane runs on this machine (one per machine; CAPLAB_LOCAL_DIR may point elsewhere). Stop it with its \`down\`, or remove a leftover with \`ip link del ${BRIDGE}\`.`);
  }
  ipOrThrow(['link', 'add', BRIDGE, 'type', 'bridge']);
  ipOrThrow(['addr', 'add', `${GATEWAY}/${PREFIX}`, 'dev', BRIDGE]);
  for (const a of nodeIps) ipOrThrow(['addr', 'add', `${a}/${PREFIX}`, 'dev', BRIDGE]);
  ipOrThrow(['link', 'set', BRIDGE, 'up']);
}

export function removeBridge(): void {
  if (ip(['link', 'show', BRIDGE]).ok) ip(['link', 'del', BRIDGE]);
}

/** Network namespaces a node agent made (named caplab-…), for `down` to sweep after a crash. */
export function leftoverNamespaces(): string[] {
  const r = ip(['netns', 'list']);
  return r.out.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith('caplab-'));
}
