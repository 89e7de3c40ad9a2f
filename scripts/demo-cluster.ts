// Which cluster `npm run demo` shows the cloud notebooks: the one your kubeconfig names (KUBECONFIG,
// else ~/.kube/config), else the real local control plane when its binaries are built (started
// here and set up as `npm run deploy` would, then stopped at the end if the demo started it),
// else none, and the cloud notebooks show what they would apply.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './jupyter.ts';

export interface DemoCluster {
  /** Extra environment for the notebooks' kernel. */
  env: Record<string, string>;
  /** One line for the console. */
  line: string;
  stop(): Promise<void>;
}

const nothing = async () => {};

export async function demoCluster(env: NodeJS.ProcessEnv = process.env): Promise<DemoCluster> {
  const kubeconfig = env.KUBECONFIG ?? join(homedir(), '.kube', 'config');
  if (env.KUBECONFIG || existsSync(kubeconfig)) return { env: {}, line: `cluster: the one in ${kubeconfig}`, stop: nothing };
  const { builtBin } = await import('../k8s/local/build.ts');
  if (!builtBin()) return { env: {}, line: 'no cluster (no kubeconfig, and the local control plane is not built: npm run cluster:build); the cloud notebooks show what they would apply', stop: nothing };
  const { up } = await import('../k8s/local/up.ts');
  const { down } = await import('../k8s/local/down.ts');
  console.log('no kubeconfig: using the local control plane (a real Kubernetes control plane with process nodes on this machine), starting it if it is not running …');
  const r = await up({ log: () => {} });
  // What `npm run deploy` applies (the worker ServiceAccount and the data PVC besides the Role).
  execFileSync(join(r.state.bin, 'kubectl'), ['--kubeconfig', r.state.kubeconfig, '--context', 'caplab-local-admin', 'apply', '-k', join(ROOT, 'k8s')], { stdio: ['ignore', 'ignore', 'pipe'] });
  const nodes = r.state.nodes.length;
  return {
    env: { KUBECONFIG: r.state.kubeconfig },
    line: `cluster: a real Kubernetes control plane with ${nodes} process node${nodes === 1 ? '' : 's'} on this machine (${r.already ? 'already running' : 'started for the demo'}; ${r.state.kubeconfig})`,
    stop: r.already ? nothing : async () => void (await down()),
  };
}
