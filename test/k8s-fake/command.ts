/**
 * Maps a container to a local command. Kubernetes semantics first: `command` replaces the image's
 * ENTRYPOINT, `args` its CMD, and $(VAR) references expand from the container's env. Then the
 * double's convention for local runs: `caplab …` runs this repository's bin/caplab.js with this
 * Node, `node …` runs this Node, an image named like caplab without a command runs its entry
 * point `caplab worker`, anything else runs as is from PATH.
 */
import { join } from 'node:path';
import type { ResolvedCommand } from './types.ts';
import { expand } from './env.ts';

/** The worker image's ENTRYPOINT (k8s/Dockerfile): `caplab worker`. */
const CAPLAB_ENTRYPOINT = ['caplab', 'worker'];

function imageName(image: string): string {
  const last = image.split('/').pop() ?? '';
  return last.split(/[:@]/)[0];
}

export function containerArgv(container: any, env: Record<string, string>): string[] | undefined {
  const command: string[] = (container.command ?? []).map((s: string) => expand(s, env));
  const args: string[] = (container.args ?? []).map((s: string) => expand(s, env));
  if (command.length > 0) return [...command, ...args];
  if (/caplab/.test(imageName(container.image ?? ''))) return [...CAPLAB_ENTRYPOINT, ...args];
  return args.length > 0 ? args : undefined;
}

export function defaultResolve(argv: string[], repoRoot: string): ResolvedCommand {
  const [head, ...rest] = argv;
  if (head === 'caplab') return { file: process.execPath, args: [join(repoRoot, 'bin', 'caplab.js'), ...rest] };
  if (head === 'node' || head.endsWith('/node')) return { file: process.execPath, args: rest };
  return { file: head, args: rest };
}
