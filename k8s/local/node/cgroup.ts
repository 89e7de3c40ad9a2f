/**
 * The node agent's memory limits: each container with a memory limit gets a memory cgroup under the
 * agent's own (lib/util/memory-cgroup.ts), so going over it is a kernel OOM kill. Where no cgroup can
 * be made the agent says why and falls back to watching the process's RSS.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export { detectCgroups, MemoryCgroup, type CgroupSupport } from '../../../lib/util/memory-cgroup.ts';

/** Records a cgroup root in the node folder, so `down` can sweep what a killed agent left. */
export function recordRoot(nodeDir: string, root: string): void {
  appendFileSync(join(nodeDir, 'cgroups'), root + '\n');
}

/** Resident memory of a process in bytes (0 when it is gone): the fallback without cgroups. */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
