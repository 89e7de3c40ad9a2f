/**
 * `cluster:local up`: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, the
 * host-folder provisioner and N process nodes, each its own process group; returns once the API
 * server is ready, every node is Ready and untainted and the `default` ServiceAccounts exist.
 */
import { mkdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { builtBin } from './build.ts';
import { makePki } from './pki.ts';
import { contextName, makeIdentities, writeKubeconfig, writeTokenFile, type Identity } from './identities.ts';
import { alive, freePort, logTail, startProcess, type Started } from './proc.ts';
import { apiserverArgs, controllerManagerArgs, etcdArgs, schedulerArgs } from './components.ts';
import { chooseNetwork, nodeIp, nodePodCidr, PREFIX, SERVICE_CIDR, setupBridge } from './network.ts';
import { apiCall, apiJson, type ApiTarget } from './http.ts';
import { applyBootstrap } from './bootstrap.ts';
import { isRunning, readState, runtimeDir, withLock, writeState, type ClusterState, type NodeInfo } from './state.ts';
import { stopCluster } from './down.ts';
import type { NodeConfig } from './node/config.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(HERE, '..', '..');

export interface UpOptions {
  /** Process nodes. Default 3. */
  nodes?: number;
  /** CPU each node offers (a quantity). Default "2". */
  nodeCpu?: string;
  /** Memory each node offers (a quantity). Default "4Gi". */
  nodeMemory?: string;
  /** Pods per node. Default 110, the kubelet's. */
  nodePods?: number;
  /** Namespaces whose `default` ServiceAccount `up` waits for. Default ["default", "caplab"]. */
  namespaces?: string[];
  /** Give up after this long. Default 3 minutes. */
  timeoutMs?: number;
  /** Who asks: `cli` (default) keeps it until `down`; `test` lets the last test process stop it. */
  owner?: 'cli' | 'test' | 'suite';
  /** Progress lines (stderr by default). */
  log?: (line: string) => void;
}

const defaults = { owner: 'cli' as 'cli' | 'test' | 'suite', nodes: 3, nodeCpu: '2', nodeMemory: '4Gi', nodePods: 110, namespaces: ['default', 'caplab'], timeoutMs: 180_000 };

export interface UpResult {
  state: ClusterState;
  /** True when a control plane was running already and nothing was started. */
  already: boolean;
}

export function nodeName(i: number): string {
  return `caplab-local-node-${i}`;
}

export async function up(options: UpOptions = {}): Promise<UpResult> {
  const o = { ...defaults, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as typeof defaults & UpOptions;
  if (!Number.isInteger(o.nodes) || o.nodes < 1 || o.nodes > 200) throw new Error(`--nodes ${o.nodes} is not a node count: give a whole number from 1 to 200.`);
  const bin = builtBin();
  if (!bin) throw new Error('the control plane binaries are not built yet: run `npm run cluster:build` first (tens of minutes once, then cached).');
  const dir = runtimeDir();
  return withLock(dir, async () => {
    const prior = readState(dir);
    if (isRunning(prior)) return { state: prior, already: true };
    // A half-dead cluster (a crash, a reboot): clear it before starting over.
    if (prior) await stopCluster(prior);
    const state = await start(dir, bin, o);
    return { state, already: false };
  });
}

async function start(dir: string, bin: string, o: typeof defaults & UpOptions): Promise<ClusterState> {
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const began = Date.now();
  const deadline = began + o.timeoutMs;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'logs'), { recursive: true });
  // Pods running as another user must reach their volume folders below.
  chmodSync(dir, 0o755);
  const net = chooseNetwork();
  if (net.mode === 'host') log(`network: pods run as host processes: ${net.why}`);
  const names = Array.from({ length: o.nodes }, (_, i) => nodeName(i + 1));
  const advertise = net.mode === 'netns' ? net.gateway : net.address;
  const bind = net.mode === 'netns' ? net.gateway : '127.0.0.1';
  const nodeIps = names.map((_, i) => (net.mode === 'netns' ? nodeIp(i + 1) : net.address));
  const pki = makePki(join(dir, 'pki'), { apiserverIps: [advertise, bind], nodeIps });
  const ids = makeIdentities(names);
  const id = (n: string): Identity => ids.find((i) => i.name === n)!;
  const tokenFile = join(pki.dir, 'tokens.csv');
  writeTokenFile(tokenFile, ids);
  const processes: Started[] = [];
  const state: ClusterState = {
    version: 1,
    dir,
    startedAt: new Date().toISOString(),
    kubeconfig: join(dir, 'kubeconfig'),
    server: '',
    serverVersion: '',
    bin,
    contexts: [contextName(id('admin')), contextName(id('user'))],
    namespace: 'caplab',
    owner: o.owner,
    network: net.mode === 'netns' ? { mode: 'netns', bridge: net.bridge, cidr: net.cidr, gateway: net.gateway } : { mode: 'host', why: net.why },
    nodes: [],
    processes,
  };
  // From here on, anything started is recorded, so a failure (or a later `down`) can stop it.
  writeState(state);
  const run = (name: string, file: string, args: string[], env?: NodeJS.ProcessEnv) => {
    const p = startProcess(name, file, args, { log: join(dir, 'logs', `${name}.log`), env });
    processes.push(p);
    writeState(state);
    return p;
  };
  const phase = (what: string) => log(`${what} (${((Date.now() - began) / 1000).toFixed(1)} s)`);
  try {
    if (net.mode === 'netns') {
      setupBridge(nodeIps);
      state.network.ownsBridge = true;
      writeState(state);
    }
    const etcdPorts = { client: await freePort('127.0.0.1'), peer: await freePort('127.0.0.1') };
    const etcd = run('etcd', join(bin, 'etcd'), etcdArgs(join(dir, 'etcd'), etcdPorts));
    const apiPort = await freePort(bind);
    state.server = `https://${bind === '127.0.0.1' ? '127.0.0.1' : advertise}:${apiPort}`;
    const apiserver = run('kube-apiserver', join(bin, 'kube-apiserver'), apiserverArgs({
      pki, etcd: `http://127.0.0.1:${etcdPorts.client}`, bind, advertise, port: apiPort, tokenFile, serviceCidr: SERVICE_CIDR,
    }));
    const admin: ApiTarget = { server: state.server, caFile: pki.ca.cert, token: id('admin').token };
    const watched = [etcd, apiserver];
    await until(deadline, watched, 'the API server to answer /readyz', async () => (await readyz(admin)) || undefined);
    phase('API server ready');
    const v = await apiJson(admin, '/version');
    state.serverVersion = v?.gitVersion ?? 'unknown';
    writeKubeconfig(state.kubeconfig, { server: state.server, caFile: pki.ca.cert, identities: [id('admin'), id('user')], namespace: 'caplab' });
    const kc = (n: string) => {
      const path = join(pki.dir, `${n}.kubeconfig`);
      writeKubeconfig(path, { server: state.server, caFile: pki.ca.cert, identities: [id(n)] });
      return path;
    };
    applyBootstrap(join(bin, 'kubectl'), state.kubeconfig, REPO_ROOT);
    watched.push(run('kube-controller-manager', join(bin, 'kube-controller-manager'), controllerManagerArgs({
      pki, kubeconfig: kc('controller-manager'), port: await freePort('127.0.0.1'), serviceCidr: SERVICE_CIDR,
    })));
    watched.push(run('kube-scheduler', join(bin, 'kube-scheduler'), schedulerArgs(kc('scheduler'), await freePort('127.0.0.1'))));
    watched.push(run('provisioner', process.execPath, [join(HERE, 'provisioner.ts'), kc('provisioner'), join(dir, 'volumes')]));
    for (const [i, name] of names.entries()) {
      const info: NodeInfo = { name, ip: nodeIps[i]!, podCidr: nodePodCidr(i + 1), port: await freePort(nodeIps[i]!) };
      state.nodes.push(info);
      const cfg: NodeConfig = {
        ...info,
        index: i + 1,
        cpu: o.nodeCpu,
        memory: o.nodeMemory,
        pods: o.nodePods,
        kubeconfig: kc(`node-${name}`),
        tls: { cert: pki.kubeletServing.cert, key: pki.kubeletServing.key, ca: pki.ca.cert },
        network: net.mode === 'netns' ? { mode: 'netns', bridge: net.bridge, prefix: PREFIX, gateway: net.gateway } : { mode: 'host', why: net.why },
        dir: join(dir, 'nodes', name),
        repoRoot: REPO_ROOT,
        kubeletVersion: state.serverVersion,
      };
      mkdirSync(cfg.dir, { recursive: true });
      const cfgPath = join(cfg.dir, 'config.json');
      writeFileSync(cfgPath, JSON.stringify(cfg, null, 2) + '\n');
      watched.push(run(name, process.execPath, [join(HERE, 'node', 'main.ts'), cfgPath]));
    }
    await until(deadline, watched, `${names.length} nodes Ready and untainted`, async () => {
      const list = await apiJson(admin, '/api/v1/nodes');
      const ready = (list?.items ?? []).filter((n: any) =>
        names.includes(n.metadata.name) &&
        (n.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True') &&
        (n.spec?.taints ?? []).length === 0);
      return ready.length === names.length || undefined;
    });
    phase('nodes Ready');
    for (const ns of o.namespaces) {
      await until(deadline, watched, `the default ServiceAccount in ${ns}`, async () => (await apiJson(admin, `/api/v1/namespaces/${ns}/serviceaccounts/default`)) ?? undefined);
    }
    state.upSeconds = Math.round((Date.now() - began) / 100) / 10;
    writeState(state);
    phase('ready');
    return state;
  } catch (e) {
    const why = (e as Error).message;
    await stopCluster(state);
    throw new Error(why);
  }
}

async function readyz(t: ApiTarget): Promise<boolean> {
  try {
    const r = await apiCall(t, 'GET', '/readyz');
    return r.status === 200;
  } catch {
    return false;
  }
}

/** Polls check until it returns a value; fails early, with the log, when a process has died. */
async function until<T>(deadline: number, procs: Started[], what: string, check: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const dead = procs.find((p) => !alive(p.pid));
    if (dead) throw new Error(`${dead.name} exited while waiting for ${what}. Its log (${dead.log}) ends:\n${logTail(dead.log)}`);
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) {
      const tails = procs.map((p) => `--- ${p.name} (${p.log})\n${logTail(p.log, 5)}`).join('\n');
      throw new Error(`timed out waiting for ${what}. The last lines of each log:\n${tails}`);
    }
    await sleep(250);
  }
}
