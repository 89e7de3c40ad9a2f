/** How many worker pods a cluster holds at once: per node, the fewer of CPU and memory allows. */
import type { NodeCapacity } from './check.ts';
import { toCpu, toMemory, type Cpu, type Memory } from './units.ts';

export interface PodSize {
  /** Default 1 core (the executor's default request). */
  cpu?: Cpu | string | number;
  /** Default 1Gi. */
  memory?: Memory | string;
}

/** Pods of this size that fit on the ready nodes at once (ignoring other tenants' pods). */
export function podsThatFit(nodes: NodeCapacity[], size: PodSize = {}): number {
  const cpu = toCpu(size.cpu ?? 1).millis / 1000;
  const mem = toMemory(size.memory ?? '1Gi').bytes;
  return nodes.filter((n) => n.ready).reduce((sum, n) => sum + Math.max(0, Math.floor(Math.min(n.cpu / cpu, n.memoryBytes / mem))), 0);
}
