/**
 * Memory limits as the kernel enforces them: a memory cgroup (cgroup v1's memory controller or
 * cgroup v2's memory.max) around a process, so going over the limit is a kernel OOM kill, read back
 * from the cgroup's oom_kill counter — the same kill a container gets on a node. Used by the local
 * node agent for pods and by the local runner for a child with a memory budget. Where no cgroup can
 * be made, `detectCgroups` says why and callers fall back to watching resident memory.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type CgroupSupport =
  | { kind: 'v1'; root: string }
  | { kind: 'v2'; root: string }
  | { kind: 'none'; why: string };

const V1 = '/sys/fs/cgroup/memory';

function ownPath(controller: 'memory' | ''): string | undefined {
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const [, ctrls, path] = line.split(':');
    if (ctrls === undefined || path === undefined) continue;
    if (controller === '' ? ctrls === '' && line.startsWith('0::') : ctrls.split(',').includes(controller)) return path;
  }
  return undefined;
}

function probe(root: string, prepare?: (dir: string) => void): string | undefined {
  const dir = join(root, `caplab-probe-${process.pid}`);
  try {
    mkdirSync(dir);
    prepare?.(dir);
    rmdirSync(dir);
    return undefined;
  } catch (e) {
    try {
      rmdirSync(dir);
    } catch {
      // Never made.
    }
    return (e as Error).message;
  }
}

/** cgroup v1 first (where these machines have a writable memory controller), then v2. */
export function detectCgroups(): CgroupSupport {
  if (process.platform !== 'linux') return { kind: 'none', why: 'cgroups are Linux only' };
  const why: string[] = [];
  const v1 = ownPath('memory');
  if (v1 !== undefined && existsSync(V1)) {
    const root = join(V1, v1);
    const err = probe(root, (d) => writeFileSync(join(d, 'memory.limit_in_bytes'), String(64 << 20)));
    if (!err) return { kind: 'v1', root };
    why.push(`cgroup v1 memory at ${root}: ${err}`);
  }
  const v2 = ownPath('');
  const mount = existsSync('/sys/fs/cgroup/cgroup.controllers') ? '/sys/fs/cgroup' : existsSync('/sys/fs/cgroup/unified/cgroup.controllers') ? '/sys/fs/cgroup/unified' : undefined;
  if (v2 !== undefined && mount) {
    const own = join(mount, v2);
    const err = enableV2(own);
    if (!err) return { kind: 'v2', root: join(own, 'caplab-pods') };
    why.push(`cgroup v2 at ${own}: ${err}`);
  }
  return { kind: 'none', why: why.join('; ') || 'no cgroup memory controller is mounted' };
}

/**
 * cgroup v2 lets only leaf cgroups hold processes once controllers are delegated: the agent
 * moves itself into a leaf (`caplab-agent`) and puts pods under a sibling with memory enabled.
 */
function enableV2(own: string): string | undefined {
  try {
    const available = readFileSync(join(own, 'cgroup.controllers'), 'utf8').split(/\s+/);
    if (!available.includes('memory')) return 'the memory controller is not delegated to this cgroup';
    const agent = join(own, 'caplab-agent');
    mkdirSync(agent, { recursive: true });
    writeFileSync(join(agent, 'cgroup.procs'), String(process.pid));
    writeFileSync(join(own, 'cgroup.subtree_control'), '+memory');
    const pods = join(own, 'caplab-pods');
    mkdirSync(pods, { recursive: true });
    writeFileSync(join(pods, 'cgroup.subtree_control'), '+memory');
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** One container's memory cgroup. */
export class MemoryCgroup {
  readonly path: string;
  readonly procs: string;
  private readonly kind: 'v1' | 'v2';

  constructor(support: Extract<CgroupSupport, { kind: 'v1' | 'v2' }>, name: string, limitBytes: number) {
    this.kind = support.kind;
    this.path = join(support.root, name);
    mkdirSync(this.path, { recursive: true });
    this.procs = join(this.path, 'cgroup.procs');
    if (this.kind === 'v1') {
      writeFileSync(join(this.path, 'memory.limit_in_bytes'), String(limitBytes));
      // With swap accounting on, the same cap for memory+swap: a limit that swap could dodge is no limit.
      const memsw = join(this.path, 'memory.memsw.limit_in_bytes');
      if (existsSync(memsw)) writeFileSync(memsw, String(limitBytes));
    } else {
      writeFileSync(join(this.path, 'memory.max'), String(limitBytes));
      const swap = join(this.path, 'memory.swap.max');
      if (existsSync(swap)) writeFileSync(swap, '0');
      // Since Kubernetes 1.28 an OOM kill ends every process of the container.
      const group = join(this.path, 'memory.oom.group');
      if (existsSync(group)) writeFileSync(group, '1');
    }
  }

  /** How many processes the kernel has OOM-killed in this cgroup. */
  oomKills(): number {
    try {
      const file = this.kind === 'v1' ? 'memory.oom_control' : 'memory.events';
      const m = /^oom_kill (\d+)$/m.exec(readFileSync(join(this.path, file), 'utf8'));
      return m ? Number(m[1]) : 0;
    } catch {
      return 0;
    }
  }

  /** Peak memory in bytes, where the kernel reports it. */
  peakBytes(): number | undefined {
    try {
      const file = this.kind === 'v1' ? 'memory.max_usage_in_bytes' : 'memory.peak';
      return Number(readFileSync(join(this.path, file), 'utf8').trim());
    } catch {
      return undefined;
    }
  }

  pids(): number[] {
    try {
      return readFileSync(this.procs, 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  /** Kills what is left inside, then removes the cgroup (retrying while the kernel lets go). */
  async remove(): Promise<void> {
    for (let i = 0; i < 50; i++) {
      for (const pid of this.pids()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Exited meanwhile.
        }
      }
      try {
        rmdirSync(this.path);
        return;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return;
        await new Promise((r) => setTimeout(r, 20 * (i + 1)));
      }
    }
  }
}
