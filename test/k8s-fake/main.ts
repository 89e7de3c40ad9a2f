/**
 * Runs the API double by hand, for notebooks and demos:
 *   node test/k8s-fake/main.ts [--port P] [--kubeconfig FILE] [--namespace NS] [--mode process|simulated] [--step-delay MS] [--json]
 * Prints the kubeconfig path (and an `export KUBECONFIG=…` line; with --json first a JSON line
 * {url, kubeconfig, context, namespace, mode}) and serves until Ctrl-C or SIGTERM.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { startFakeCluster } from './index.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    kubeconfig: { type: 'string' },
    namespace: { type: 'string' },
    mode: { type: 'string' },
    'step-delay': { type: 'string' },
    json: { type: 'boolean' },
  },
});

const mode = values.mode ?? 'process';
if (mode !== 'process' && mode !== 'simulated') {
  console.error(`--mode must be process or simulated, got ${mode}`);
  process.exit(2);
}

const cluster = await startFakeCluster({
  port: values.port ? Number(values.port) : undefined,
  kubeconfigPath: values.kubeconfig ? resolve(values.kubeconfig) : undefined,
  namespace: values.namespace,
  mode,
  stepDelayMs: values['step-delay'] ? Number(values['step-delay']) : undefined,
});

if (values.json) {
  // One line a script can parse before it starts talking to the cluster.
  console.log(JSON.stringify({ url: cluster.url, kubeconfig: cluster.kubeconfigPath, context: cluster.contextName, namespace: cluster.namespace, mode }));
}
console.log(`k8s-fake serving ${cluster.url} (context ${cluster.contextName}, namespace ${cluster.namespace}, mode ${mode})`);
console.log(`kubeconfig: ${cluster.kubeconfigPath}`);
console.log(`export KUBECONFIG=${cluster.kubeconfigPath}`);

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    void cluster.close().then(() => process.exit(0));
  });
}
