/**
 * `cluster:local down`: ends every process `up` started (whole process groups, node agents
 * first so they can end their pods), then removes what `up` and the agents left: pod network
 * namespaces and host files, pod cgroups, the bridge, and the runtime folder.
 */
import { existsSync, readdirSync, readFileSync, rmSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { stopGroup } from './proc.ts';
import { leftoverNamespaces, removeBridge } from './network.ts';
import { readState, runtimeDir, withLock, type ClusterState } from './state.ts';

export interface DownResult {
  stopped: string[];
  wasRunning: boolean;
}

export async function down(): Promise<DownResult> {
  const dir = runtimeDir();
  return withLock(dir, async () => {
    const s = readState(dir);
    if (!s) {
      rmSync(dir, { recursive: true, force: true });
      return { stopped: [], wasRunning: false };
    }
    return { stopped: await stopCluster(s), wasRunning: true };
  });
}

/** Stops everything in the state and removes what it wrote. */
export async function stopCluster(s: ClusterState): Promise<string[]> {
  const reversed = [...s.processes].reverse();
  const agents = reversed.filter((p) => p.name.startsWith('caplab-local-node-') || p.name === 'provisioner');
  await Promise.all(agents.map((p) => stopGroup(p.pid, 15_000)));
  for (const p of reversed.filter((x) => !agents.includes(x))) await stopGroup(p.pid, 10_000);
  sweepPods(s);
  if (s.network.ownsBridge) removeBridge();
  rmSync(s.dir, { recursive: true, force: true });
  return reversed.map((p) => p.name);
}

/** What a node agent that did not get to clean up (killed, crashed) left behind. */
function sweepPods(s: ClusterState): void {
  for (const ns of leftoverNamespaces()) spawnSync('ip', ['netns', 'del', ns]);
  if (existsSync('/etc/netns')) {
    for (const d of readdirSync('/etc/netns')) if (d.startsWith('caplab-')) rmSync(join('/etc/netns', d), { recursive: true, force: true });
    // The pod networks made it; left empty, it goes too.
    if (readdirSync('/etc/netns').length === 0) rmdirSync('/etc/netns');
  }
  for (const n of s.nodes) {
    const file = join(s.dir, 'nodes', n.name, 'cgroups');
    if (!existsSync(file)) continue;
    for (const root of readFileSync(file, 'utf8').split('\n').filter(Boolean)) removeCgroupTree(root);
  }
}

function removeCgroupTree(root: string): void {
  if (!existsSync(root)) return;
  for (const d of readdirSync(root, { withFileTypes: true })) {
    if (!d.isDirectory() || !d.name.startsWith('caplab-')) continue;
    const path = join(root, d.name);
    // A process still inside keeps the cgroup alive: kill it first.
    const procs = existsSync(join(path, 'cgroup.procs')) ? readFileSync(join(path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean) : [];
    for (const pid of procs) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    try {
      rmdirSync(path);
    } catch {
      // Still busy for a moment after the kill; the agent's own cleanup or the next down gets it.
    }
  }
}
