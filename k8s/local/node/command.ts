/**
 * Maps a container to a local command. Kubernetes semantics first: `command` replaces the image's
 * ENTRYPOINT, `args` its CMD, and $(VAR) references expand from the container's env. Then what a
 * process node knows of images: the caplab worker image this checkout would build
 * (`caplab:<package.json version>`, under any registry path) is this checkout, its ENTRYPOINT
 * `caplab worker` runs bin/caplab.js with this Node; a `node` image is this Node. Any other image
 * cannot be "pulled" (the node has no image store).
 */
import { join } from 'node:path';
import type { ResolvedCommand } from './wire.ts';
import { expand } from './env.ts';

/** The worker image's ENTRYPOINT (k8s/Dockerfile): `caplab worker`. */
const CAPLAB_ENTRYPOINT = ['caplab', 'worker'];

export type ImageKind = 'caplab' | 'node';

/** The repository name of an image reference: `registry:5000/me/caplab:0.1.0@sha…` → `caplab`. */
export function imageName(image: string): string {
  const last = image.split('/').pop() ?? '';
  return last.split(/[:@]/)[0];
}

/** The tag of an image reference (`latest` when it has none). */
export function imageTag(image: string): string {
  const last = image.split('@')[0]!.split('/').pop() ?? '';
  return last.includes(':') ? last.slice(last.indexOf(':') + 1) : 'latest';
}

/** What a process node can run this image as, or undefined (ErrImagePull). `caplabVersion`: this checkout's. */
export function imageKind(image: string | undefined, caplabVersion?: string): ImageKind | undefined {
  const name = imageName(image ?? '');
  if (name === 'caplab' && (caplabVersion === undefined || imageTag(image!) === caplabVersion)) return 'caplab';
  if (name === 'node') return 'node';
  return undefined;
}

export function containerArgv(container: any, env: Record<string, string>): string[] | undefined {
  const command: string[] = (container.command ?? []).map((s: string) => expand(s, env));
  const args: string[] = (container.args ?? []).map((s: string) => expand(s, env));
  if (command.length > 0) return [...command, ...args];
  if (/caplab/.test(imageName(container.image ?? ''))) return [...CAPLAB_ENTRYPOINT, ...args];
  if (imageName(container.image ?? '') === 'node') return ['node', ...args];
  return args.length > 0 ? args : undefined;
}

export function defaultResolve(argv: string[], repoRoot: string): ResolvedCommand {
  const [head, ...rest] = argv;
  if (head === 'caplab') return { file: process.execPath, args: [join(repoRoot, 'bin', 'caplab.js'), ...rest] };
  if (head === 'node' || head.endsWith('/node')) return { file: process.execPath, args: rest };
  return { file: head, args: rest };
}
