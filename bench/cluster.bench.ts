/**
 * The kubernetes executor's own overhead, on the API double (test/k8s-fake): 18 noop specs,
 * timed from submit to every pod seen Running, and from the last pod seen done to the last result
 * delivered (log read and parsed). Mode 'simulated': containers do nothing, so this is caplab's
 * overhead (API calls, watch latency, log reads) and the double's, not pod start-up, which a real
 * cluster adds (image pull, container start: seconds). Mode 'process': each pod runs
 * `caplab worker` as a process on this machine. Peer: the local pool executor on the same specs.
 *
 *   node bench/cluster.bench.ts        (or npm run bench cluster)
 */
import { startFakeCluster, type FakeObject } from '../test/k8s-fake/index.ts';
import { createKubernetesExecutor, type KubernetesTraceEvent } from '../lib/exec/kubernetes.ts';
import { createPoolExecutor } from '../lib/exec/pool.ts';
import { formatResultLine } from '../lib/spec/protocol.ts';
import type { Spec } from '../lib/spec/types.ts';

const N = 18;
const specs: Spec[] = Array.from({ length: N }, (_, i) => ({ id: `noop-${i}`, kind: 'noop', payload: {} }));

async function peerPool(): Promise<number> {
  const t0 = performance.now();
  const rs = await createPoolExecutor({ workers: 2 }).run(specs);
  if (rs.some((r) => r.status !== 'ok')) throw new Error('pool: a noop spec failed');
  return (performance.now() - t0) / 1000;
}

async function clusterRun(mode: 'simulated' | 'process', run: number) {
  const cluster = await startFakeCluster({
    mode,
    simulate: (pod: FakeObject) => {
      const i = Number(pod.metadata.annotations?.['batch.kubernetes.io/job-completion-index']);
      return { exitCode: 0, log: formatResultLine({ id: specs[i].id, status: 'ok', result: {}, seconds: 0 }) + '\n' };
    },
  });
  const trace: KubernetesTraceEvent[] = [];
  try {
    // 100m CPU per pod so all 18 fit on the double's 3×4 CPUs at once.
    const ex = createKubernetesExecutor({ kubeconfig: cluster.kubeconfigPath, experiment: `bench-${mode}-${run}`, cpu: '100m', memory: '256Mi', onTrace: (e) => trace.push(e) });
    const t0 = performance.now();
    const rs = await ex.run(specs);
    const total = (performance.now() - t0) / 1000;
    if (rs.some((r) => r.status !== 'ok')) throw new Error(`${mode}: ${rs.filter((r) => r.status !== 'ok').map((r) => r.reason).join('; ')}`);
    const at = (kind: KubernetesTraceEvent['kind']) => trace.filter((e) => e.kind === kind).map((e) => e.at);
    const submit = at('submit')[0];
    return {
      total,
      submitToAllRunning: (Math.max(...at('pod-running')) - submit) / 1000,
      lastDoneToResults: (Math.max(...at('result')) - Math.max(...at('pod-done'))) / 1000,
      startToSubmit: (submit - t0) / 1000,
    };
  } finally {
    await cluster.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const r3 = (x: number) => Number(x.toFixed(3));

// A warm-up loads the client and the worker code once, so the timed runs measure steady state.
await clusterRun('simulated', 0);
const peer = await peerPool();
for (const mode of ['simulated', 'process'] as const) {
  const runs: Array<Awaited<ReturnType<typeof clusterRun>>> = [];
  for (let i = 1; i <= 3; i++) runs.push(await clusterRun(mode, i));
  const m = (k: keyof (typeof runs)[number]) => r3(median(runs.map((r) => r[k])));
  console.log(JSON.stringify({
    bench: 'cluster-overhead',
    mode,
    specs: N,
    note: mode === 'simulated' ? "caplab's executor overhead on the API double; a real cluster adds pod start-up" : 'pods run `caplab worker` as processes on this machine',
    connect_s: m('startToSubmit'),
    submit_to_all_running_s: m('submitToAllRunning'),
    last_done_to_results_s: m('lastDoneToResults'),
    caplab_total_s: m('total'),
    peer: 'pool executor, 2 workers, same 18 noop specs',
    peer_total_s: r3(peer),
    ratio: r3(m('total') / peer),
  }));
}
