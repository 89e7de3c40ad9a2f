/**
 * The kubernetes executor on a real Kubernetes control plane (k8s/local: etcd, kube-apiserver,
 * controller-manager and scheduler v1.34, process nodes running each pod as a local process):
 * 18 noop specs, timed from submit to every pod seen Running, from the last pod seen done to the
 * last result delivered (log read and parsed), and per pod from its creation to all its
 * containers started, as Kubernetes' pod start-up SLO counts it (p99 ≤ 5 s, image pull excluded;
 * here there is no image to pull). Peer: the local pool executor on the same specs.
 *
 *   node bench/cluster.bench.ts        (or npm run bench cluster)
 */
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { startLocalCluster, localClusterUnavailable } from '../test/helpers/local-cluster.ts';
import { createKubernetesExecutor, type KubernetesTraceEvent } from '../lib/exec/kubernetes.ts';
import { createPoolExecutor } from '../lib/exec/pool.ts';
import type { Spec } from '../lib/spec/types.ts';

const N = 18;
const RUNS = 3;
const specs: Spec[] = Array.from({ length: N }, (_, i) => ({ id: `noop-${i}`, kind: 'noop', payload: {} }));

async function peerPool(): Promise<number> {
  const t0 = performance.now();
  const rs = await createPoolExecutor({ workers: 2 }).run(specs);
  if (rs.some((r) => r.status !== 'ok')) throw new Error('pool: a noop spec failed');
  return (performance.now() - t0) / 1000;
}

/**
 * Per-pod start-up as the SLO measures it, observed through a watch of our own: from the pod's
 * first appearance (ADDED, right after the Job controller creates it) to the first time every
 * container reports started (running, or already terminated).
 */
async function watchStartups(kubeconfig: string, namespace: string): Promise<{ seconds: () => number[]; stop: () => void }> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const created = new Map<string, number>();
  const started = new Map<string, number>();
  const req = await new Watch(kc).watch(`/api/v1/namespaces/${namespace}/pods`, {}, (type: string, pod: any) => {
    const name = pod.metadata.name as string;
    const now = performance.now();
    if (!created.has(name)) created.set(name, now);
    const cs: any[] = pod.status?.containerStatuses ?? [];
    const all = cs.length > 0 && cs.length === pod.spec.containers.length && cs.every((c) => c.state?.running || c.state?.terminated);
    if (type !== 'DELETED' && all && !started.has(name)) started.set(name, now);
  }, () => {});
  return {
    seconds: () => [...started].map(([name, at]) => (at - created.get(name)!) / 1000),
    stop: () => req.abort(),
  };
}

interface Cluster {
  kubeconfig: string;
  namespace: string;
  close(): Promise<void>;
}

async function clusterRun(label: string, open: () => Promise<Cluster>, run: number) {
  const cluster = await open();
  const trace: KubernetesTraceEvent[] = [];
  const startups = await watchStartups(cluster.kubeconfig, cluster.namespace);
  try {
    // 100m CPU per pod so all 18 fit on three nodes at once.
    const ex = createKubernetesExecutor({ kubeconfig: cluster.kubeconfig, experiment: `bench-${label}-${run}`, cpu: '100m', memory: '256Mi', onTrace: (e) => trace.push(e) });
    const t0 = performance.now();
    const rs = await ex.run(specs);
    const total = (performance.now() - t0) / 1000;
    if (rs.some((r) => r.status !== 'ok')) throw new Error(`${label}: ${rs.filter((r) => r.status !== 'ok').map((r) => r.reason).join('; ')}`);
    const at = (kind: KubernetesTraceEvent['kind']) => trace.filter((e) => e.kind === kind).map((e) => e.at);
    const submit = at('submit')[0]!;
    const podStartups = startups.seconds();
    if (podStartups.length < N) throw new Error(`${label}: saw ${podStartups.length} of ${N} pods start`);
    return {
      total,
      submitToAllRunning: (Math.max(...at('pod-running')) - submit) / 1000,
      lastDoneToResults: (Math.max(...at('result')) - Math.max(...at('pod-done'))) / 1000,
      startToSubmit: (submit - t0) / 1000,
      podStartups,
    };
  } finally {
    startups.stop();
    await cluster.close();
  }
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)]!;
/** Nearest-rank percentile. */
const pct = (xs: number[], p: number) => sorted(xs)[Math.max(0, Math.ceil((p / 100) * xs.length) - 1)]!;
const r3 = (x: number) => Number(x.toFixed(3));

const local = async (): Promise<Cluster> => {
  const c = await startLocalCluster();
  return { kubeconfig: c.kubeconfigPath, namespace: c.namespace, close: () => c.close() };
};

const why = localClusterUnavailable();
if (why) {
  console.error(`cluster bench: no local control plane (${why}).`);
  process.exit(1);
}
const places = [
  { label: 'local', open: local, place: `a real Kubernetes control plane with 3 process nodes on this machine` },
];
// A warm-up loads the client and the worker code once, so the timed runs measure steady state.
await clusterRun('warmup', local, 0);
const peer = await peerPool();
for (const { label, open, place } of places) {
  const runs: Array<Awaited<ReturnType<typeof clusterRun>>> = [];
  for (let i = 1; i <= RUNS; i++) runs.push(await clusterRun(label, open, i));
  const m = (k: 'total' | 'submitToAllRunning' | 'lastDoneToResults' | 'startToSubmit') => r3(median(runs.map((r) => r[k])));
  const pods = runs.flatMap((r) => r.podStartups);
  console.log(JSON.stringify({
    bench: 'cluster-overhead',
    place,
    specs: N,
    runs: RUNS,
    connect_s: m('startToSubmit'),
    submit_to_all_running_s: m('submitToAllRunning'),
    last_done_to_results_s: m('lastDoneToResults'),
    caplab_total_s: m('total'),
    pod_startup_p50_s: r3(pct(pods, 50)),
    pod_startup_p99_s: r3(pct(pods, 99)),
    pod_startup_pods: pods.length,
    slo: "Kubernetes' pod start-up SLO: p99 ≤ 5 s per pod, image pull excluded",
    slo_met: pct(pods, 99) <= 5,
    peer: 'pool executor, 2 workers, same 18 noop specs',
    peer_total_s: r3(peer),
    ratio: r3(m('total') / peer),
  }));
}
