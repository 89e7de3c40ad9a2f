/**
 * A pod's network: its own network namespace with one veth into the cluster bridge, an address
 * from the node's pod range, loopback, and no default route (so a pod reaches the other pods,
 * the node agents and the API server on the bridge, and nothing else). `ip netns exec` mounts
 * /etc/netns/<ns>/hosts over /etc/hosts for the pod's processes: the agent keeps that file.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** A system tool by absolute path: pods get their own PATH, which need not hold /usr/sbin. */
export function tool(name: string): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const d of dirs) if (d && existsSync(join(d, name))) return join(d, name);
  return name;
}

export interface PodNetwork {
  namespace: string;
  ip: string;
  /** The pod's /etc/hosts as the host sees it; rewrite in place (it is bind-mounted). */
  hostsFile: string;
  /** Prefix for a command to run inside the namespace. */
  exec: string[];
}

function batch(args: string[], lines: string[]): void {
  const r = spawnSync(tool('ip'), [...args, '-batch', '-'], { input: lines.join('\n') + '\n', encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`ip ${args.join(' ')} -batch failed: ${(r.stderr || r.error?.message || '').trim()} (commands: ${lines.join('; ')})`);
}

/** Namespace and interface names from the pod uid (interface names are at most 15 bytes). */
export function namesFor(podUid: string): { namespace: string; hostIf: string; peerIf: string } {
  const id = podUid.replace(/-/g, '').slice(0, 10);
  return { namespace: `caplab-${id}`, hostIf: `clh${id}`, peerIf: `clp${id}` };
}

export function createPodNetwork(podUid: string, ip: string, prefix: number, bridge: string): PodNetwork {
  const n = namesFor(podUid);
  removePodNetwork(podUid);
  const etc = join('/etc/netns', n.namespace);
  mkdirSync(etc, { recursive: true });
  const hostsFile = join(etc, 'hosts');
  writeFileSync(hostsFile, '127.0.0.1 localhost\n');
  // No nameserver a pod could reach: names come from the hosts file only, and no query leaves.
  writeFileSync(join(etc, 'resolv.conf'), 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
  batch([], [
    `netns add ${n.namespace}`,
    `link add ${n.hostIf} type veth peer name ${n.peerIf}`,
    `link set ${n.peerIf} netns ${n.namespace}`,
    `link set ${n.hostIf} master ${bridge}`,
    `link set ${n.hostIf} up`,
  ]);
  batch(['-n', n.namespace], [
    `link set ${n.peerIf} name eth0`,
    `addr add ${ip}/${prefix} dev eth0`,
    'link set eth0 up',
    'link set lo up',
  ]);
  return { namespace: n.namespace, ip, hostsFile, exec: [tool('ip'), 'netns', 'exec', n.namespace] };
}

/** Removes the namespace (its veth pair goes with it) and its /etc/netns folder. */
export function removePodNetwork(podUid: string): void {
  const n = namesFor(podUid);
  spawnSync(tool('ip'), ['netns', 'del', n.namespace], { stdio: 'ignore' });
  spawnSync(tool('ip'), ['link', 'del', n.hostIf], { stdio: 'ignore' });
  rmSync(join('/etc/netns', n.namespace), { recursive: true, force: true });
}
