/**
 * What the kubelet does for the pods bound to its node, with local processes for containers:
 * "pull" (only images this node knows), set up the pod's network and volumes, build each
 * container's environment, start it in its memory cgroup, report status through pods/status
 * (never moving a terminated container back, keeping the pod IP, terminal phase before
 * deletion), record events, and stop containers gracefully when the pod is deleted. The Job
 * controller's tracking finalizer is never touched: deletion is a DELETE with grace 0, as the
 * kubelet's.
 */
import { mkdirSync, rmSync, writeFileSync, existsSync, readFileSync, chownSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { delimiter, join, isAbsolute } from 'node:path';
import { ApiError, type Api } from '../api.ts';
import type { NodeConfig } from './config.ts';
import type { Recorder } from './events.ts';
import type { Logs } from './logs.ts';
import type { WireObject } from './wire.ts';
import * as st from './pod-status.ts';
import { ConfigError, containerEnv } from './env.ts';
import { containerArgv, defaultResolve, imageKind } from './command.ts';
import { prepareMounts, translate, type Mount, type VolumeSource } from './volumes.ts';
import { fetchPodSource } from './pod-source.ts';
import { MemoryCgroup, type CgroupSupport } from './cgroup.ts';
import { startContainer, type ContainerExit, type ContainerProcess } from './container.ts';
import { createPodNetwork, removePodNetwork, type PodNetwork } from './netns.ts';
import { parseQuantity } from './quantity.ts';
import { hostsFor } from './hosts.ts';

interface Running {
  proc: ContainerProcess;
  cgroup?: MemoryCgroup;
  startedAt: string;
  id: string;
}

interface PodRun {
  uid: string;
  pod: WireObject;
  /** The status this node reports; `view` pairs it with the spec for the status helpers. */
  view: WireObject;
  containers: Map<string, Running>;
  network?: PodNetwork;
  ip?: string;
  stopping: boolean;
  /** Every container has ended for good. */
  finished: boolean;
  timers: Set<NodeJS.Timeout>;
  patching?: Promise<void>;
  dirty: boolean;
  deleted: boolean;
}

export interface PodManagerOptions {
  cfg: NodeConfig;
  api: Api;
  events: Recorder;
  logs: Logs;
  cgroups: CgroupSupport;
  node(): WireObject | undefined;
  slices(namespace: string): WireObject[];
  log(line: string): void;
}

const TERMINAL = new Set(['Succeeded', 'Failed']);
const PULL_BACKOFF_MS = [10_000, 20_000, 40_000, 80_000, 160_000, 300_000];

export class PodManager {
  private readonly o: PodManagerOptions;
  private readonly runs = new Map<string, PodRun>();
  private readonly ipsInUse = new Set<string>();
  private closed = false;
  /** The worker image tag this checkout stands for. */
  private readonly caplabVersion: string;

  constructor(o: PodManagerOptions) {
    this.o = o;
    this.caplabVersion = JSON.parse(readFileSync(join(o.cfg.repoRoot, 'package.json'), 'utf8')).version;
  }

  /** Pods the node runs (for the log endpoint). */
  find(namespace: string, name: string): PodRun | undefined {
    for (const r of this.runs.values()) if (r.pod.metadata.namespace === namespace && r.pod.metadata.name === name) return r;
    return undefined;
  }

  /** A watch event for a pod bound to this node. */
  onPod(type: 'ADDED' | 'MODIFIED' | 'DELETED', pod: WireObject): void {
    if (this.closed) return;
    const run = this.runs.get(pod.metadata.uid);
    if (type === 'DELETED') {
      if (run) {
        run.deleted = true;
        void this.kill(run);
      }
      this.o.logs.drop(pod.metadata.uid);
      return;
    }
    if (run) {
      run.pod = pod;
      run.view.metadata = pod.metadata;
      if (pod.metadata.deletionTimestamp && !run.stopping) this.stop(run);
      return;
    }
    // Terminal pods are history (or were finished before this agent started); nothing to run.
    if (TERMINAL.has(pod.status?.phase)) return;
    if (pod.metadata.deletionTimestamp) return void this.removeFromApi(pod);
    const fresh: PodRun = {
      uid: pod.metadata.uid, pod, view: { metadata: pod.metadata, spec: pod.spec, status: {} },
      containers: new Map(), stopping: false, finished: false, timers: new Set(), dirty: false, deleted: false,
    };
    this.runs.set(pod.metadata.uid, fresh);
    void this.start(fresh).catch((e) => this.o.log(`pod ${this.key(fresh)}: ${(e as Error).stack ?? e}`));
  }

  /** Whole list after a (re)list: pods gone from it were deleted while the watch was away. */
  onList(pods: WireObject[]): void {
    const uids = new Set(pods.map((p) => p.metadata.uid));
    for (const r of [...this.runs.values()]) if (!uids.has(r.uid)) this.onPod('DELETED', r.pod);
    for (const p of pods) this.onPod('MODIFIED', p);
  }

  /** EndpointSlices of a namespace changed: rewrite its pods' hosts files. */
  refreshHosts(namespace: string): void {
    for (const r of this.runs.values()) if (r.pod.metadata.namespace === namespace) this.writeHosts(r);
  }

  /** The agent is going away: kill every container, remove networks and cgroups. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.runs.values()].map((r) => this.kill(r)));
  }

  private key(r: PodRun): string {
    return `${r.pod.metadata.namespace}/${r.pod.metadata.name}`;
  }

  private podPath(r: PodRun): string {
    return `/api/v1/namespaces/${r.pod.metadata.namespace}/pods/${r.pod.metadata.name}`;
  }

  private later(r: PodRun, ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      r.timers.delete(t);
      if (!this.closed && !r.deleted) fn();
    }, ms);
    r.timers.add(t);
  }

  /** Sends the current status; coalesces while a patch is in flight. */
  private sync(r: PodRun): Promise<void> {
    if (r.deleted) return Promise.resolve();
    if (r.patching) {
      r.dirty = true;
      return r.patching;
    }
    r.patching = (async () => {
      do {
        r.dirty = false;
        const s = r.view.status;
        const body = {
          metadata: { uid: r.uid },
          status: {
            phase: s.phase, conditions: s.conditions, containerStatuses: s.containerStatuses,
            hostIP: s.hostIP, hostIPs: s.hostIPs, startTime: s.startTime,
            ...(s.podIP ? { podIP: s.podIP, podIPs: s.podIPs } : {}),
          },
        };
        try {
          await this.o.api.patch(`${this.podPath(r)}/status`, body);
        } catch (e) {
          if (e instanceof ApiError && (e.code === 404 || e.code === 409)) return;
          this.o.log(`pod ${this.key(r)} status: ${(e as Error).message}`);
          await new Promise((res) => setTimeout(res, 500));
          r.dirty = true;
        }
      } while (r.dirty && !r.deleted && !this.closed);
    })().finally(() => (r.patching = undefined));
    return r.patching;
  }

  private async start(r: PodRun): Promise<void> {
    const { cfg } = this.o;
    const v = r.view;
    v.status.phase = 'Pending';
    v.status.hostIP = cfg.ip;
    v.status.hostIPs = [{ ip: cfg.ip }];
    v.status.startTime = st.now();
    st.setCondition(v, 'PodReadyToStartContainers', 'False');
    st.setCondition(v, 'Initialized', 'True');
    st.markUnready(v);
    for (const c of r.pod.spec.containers) st.setWaiting(v, c.name, 'ContainerCreating');
    void this.sync(r);
    const unknown = r.pod.spec.containers.find((c: any) => !imageKind(c.image, this.caplabVersion));
    if (unknown) return this.pullFailed(r, unknown, 0);
    await this.prepareAndRun(r);
  }

  private pullFailed(r: PodRun, c: any, attempt: number): void {
    if (r.stopping) return;
    const image = c.image;
    const why = `rpc error: code = NotFound desc = failed to pull and unpack image "${image}": this process node runs only the caplab worker image of its checkout (caplab:${this.caplabVersion}) and node images: ${image}: not found`;
    this.o.events.pod(r.pod, 'Normal', 'Pulling', `Pulling image "${image}"`, c.name);
    this.o.events.pod(r.pod, 'Warning', 'Failed', `Failed to pull image "${image}": ${why}`, c.name);
    this.o.events.pod(r.pod, 'Warning', 'Failed', 'Error: ErrImagePull', c.name);
    st.setWaiting(r.view, c.name, 'ErrImagePull', why);
    void this.sync(r);
    this.later(r, 1000, () => {
      if (r.stopping) return;
      this.o.events.pod(r.pod, 'Normal', 'BackOff', `Back-off pulling image "${image}"`, c.name);
      this.o.events.pod(r.pod, 'Warning', 'Failed', 'Error: ImagePullBackOff', c.name);
      st.setWaiting(r.view, c.name, 'ImagePullBackOff', `Back-off pulling image "${image}": ErrImagePull: ${why}`);
      void this.sync(r);
    });
    this.later(r, PULL_BACKOFF_MS[Math.min(attempt, PULL_BACKOFF_MS.length - 1)]!, () => this.pullFailed(r, c, attempt + 1));
  }

  private user(r: PodRun, c: any): { uid: number; gid: number; groups: number[] } | undefined {
    if (process.getuid?.() !== 0) return undefined;
    const ps = r.pod.spec.securityContext ?? {};
    const cs = c.securityContext ?? {};
    const uid = cs.runAsUser ?? ps.runAsUser;
    if (uid === undefined || uid === 0) return undefined;
    const gid = cs.runAsGroup ?? ps.runAsGroup ?? 0;
    const groups = [...(ps.fsGroup !== undefined ? [ps.fsGroup] : []), ...(ps.supplementalGroups ?? [])];
    return { uid, gid, groups };
  }

  private async prepareAndRun(r: PodRun): Promise<void> {
    if (r.stopping) return;
    const { cfg } = this.o;
    const podDir = join(cfg.dir, 'pods', r.uid);
    // The sandbox first, as the kubelet does: env may refer to status.podIP.
    if (!r.ip) {
      try {
        this.setUpNetwork(r);
      } catch (e) {
        this.o.events.pod(r.pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${(e as Error).message}`);
        return this.later(r, 2000, () => void this.prepareAndRun(r));
      }
    }
    const pod = { ...r.pod, status: { ...r.pod.status, podIP: r.ip, podIPs: [{ ip: r.ip }], hostIP: cfg.ip, hostIPs: [{ ip: cfg.ip }] } };
    let source: VolumeSource;
    const prepared: Array<{ c: any; env: Record<string, string>; mounts: Mount[] }> = [];
    try {
      source = await fetchPodSource(this.o.api, pod, this.o.node);
      const first = r.pod.spec.containers[0];
      const u = this.user(r, first);
      const fsGroup = r.pod.spec.securityContext?.fsGroup;
      const owner = u ? { uid: u.uid, gid: fsGroup ?? u.gid } : undefined;
      for (const c of r.pod.spec.containers) {
        prepared.push({ c, env: containerEnv(source, pod, c), mounts: prepareMounts(source, { podDir, owner }, pod, c) });
      }
    } catch (e) {
      if (!(e instanceof ConfigError)) {
        // Transient (the Node authorizer learns of a new pod a moment after it is bound; the API
        // server restarts…): try again without reporting a config error the pod does not have.
        if (e instanceof ApiError && e.code === 404 && !(await this.o.api.find(this.podPath(r)))) return;
        this.o.log(`pod ${this.key(r)}: ${(e as Error).message}; retrying`);
        return this.later(r, 1000, () => void this.prepareAndRun(r));
      }
      const why = (e as Error).message;
      if (why.startsWith('MountVolume')) this.o.events.pod(r.pod, 'Warning', 'FailedMount', why);
      else {
        this.o.events.pod(r.pod, 'Warning', 'Failed', `Error: ${why}`, r.pod.spec.containers[0].name);
        st.setWaiting(r.view, r.pod.spec.containers[0].name, 'CreateContainerConfigError', why);
        void this.sync(r);
      }
      // The kubelet retries on its next sync; a ConfigMap created later lets the pod start.
      return this.later(r, 2000, () => void this.prepareAndRun(r));
    }
    if (r.stopping) return;
    this.writeHosts(r);
    const ids = new Map(prepared.map(({ c }) => [c.name, `caplab-process://${randomBytes(16).toString('hex')}`]));
    for (const { c } of prepared) {
      this.o.events.pod(r.pod, 'Normal', 'Pulled', `Container image "${c.image}" already present on machine`, c.name);
    }
    const v = r.view;
    v.status.podIP = r.ip;
    v.status.podIPs = [{ ip: r.ip }];
    st.setCondition(v, 'PodReadyToStartContainers', 'True');
    for (const { c, env, mounts } of prepared) this.runContainer(r, c, env, mounts, podDir, ids.get(c.name)!);
    v.status.phase = 'Running';
    if ([...r.containers.keys()].length === r.pod.spec.containers.length) {
      st.setCondition(v, 'Ready', 'True');
      st.setCondition(v, 'ContainersReady', 'True');
    }
    void this.sync(r);
  }

  private setUpNetwork(r: PodRun): void {
    const { cfg } = this.o;
    if (cfg.network.mode === 'host') {
      r.ip = cfg.ip;
      return;
    }
    const [a, b, c] = cfg.podCidr.split('/')[0]!.split('.');
    for (let i = 2; i < 255; i++) {
      const ip = `${a}.${b}.${c}.${i}`;
      if (this.ipsInUse.has(ip)) continue;
      this.ipsInUse.add(ip);
      r.ip = ip;
      break;
    }
    if (!r.ip) throw new Error(`node ${cfg.name} has no pod IP left in ${cfg.podCidr}`);
    try {
      r.network = createPodNetwork(r.uid, r.ip, cfg.network.prefix, cfg.network.bridge);
    } catch (e) {
      this.ipsInUse.delete(r.ip);
      r.ip = undefined;
      throw e;
    }
  }

  private writeHosts(r: PodRun): void {
    if (!r.network || !r.ip) return;
    const text = hostsFor(r.pod, r.ip, this.o.slices(r.pod.metadata.namespace ?? 'default'));
    try {
      if (existsSync(r.network.hostsFile) && readFileSync(r.network.hostsFile, 'utf8') === text) return;
      // In place, never by rename: the pod's processes see this very file through a bind mount.
      writeFileSync(r.network.hostsFile, text);
    } catch {
      // The pod's network went away meanwhile.
    }
  }

  private resolveExecutable(file: string, env: Record<string, string>): string | undefined {
    if (isAbsolute(file)) return existsSync(file) ? file : undefined;
    for (const dir of (env.PATH ?? '').split(delimiter)) if (dir && existsSync(join(dir, file))) return join(dir, file);
    return undefined;
  }

  private runContainer(r: PodRun, c: any, env: Record<string, string>, mounts: Mount[], podDir: string, id: string): void {
    const { cfg } = this.o;
    const u = this.user(r, c);
    const home = join(podDir, 'home');
    mkdirSync(home, { recursive: true });
    if (u) chownSync(home, u.uid, u.gid);
    const full: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOSTNAME: r.pod.spec.hostname ?? r.pod.metadata.name,
      HOME: home,
      ...(process.env.LANG ? { LANG: process.env.LANG } : {}),
    };
    for (const [k, val] of Object.entries(env)) full[k] = translate(val, mounts, cfg.repoRoot);
    const argv = containerArgv(c, env)?.map((a) => translate(a, mounts, cfg.repoRoot));
    const workingDir = c.workingDir ? translate(c.workingDir, mounts, cfg.repoRoot) : undefined;
    const cwd = workingDir && workingDir !== c.workingDir ? workingDir : cfg.repoRoot;
    const startedAt = st.now();
    this.o.logs.open(r.uid, c.name);
    const cmd = argv && defaultResolve(argv, cfg.repoRoot);
    const file = cmd && this.resolveExecutable(cmd.file, full);
    const limit = parseQuantity(c.resources?.limits?.memory ?? 0);
    let cgroup: MemoryCgroup | undefined;
    if (limit > 0 && this.o.cgroups.kind !== 'none') {
      try {
        cgroup = new MemoryCgroup(this.o.cgroups, `caplab-${r.uid.slice(0, 8)}-${c.name}-${randomBytes(3).toString('hex')}`, limit);
      } catch (e) {
        this.o.events.pod(r.pod, 'Warning', 'MemoryLimitNotEnforced', `cannot make a memory cgroup (${(e as Error).message}): watching RSS instead`, c.name);
      }
    }
    this.o.events.pod(r.pod, 'Normal', 'Created', `Created container: ${c.name}`, c.name);
    let proc: ContainerProcess;
    if (!cmd || !file) {
      const why = !cmd ? 'no command specified' : `exec: "${cmd.file}": executable file not found in $PATH`;
      const exit: ContainerExit = { exitCode: 128, oomKilled: false, startError: `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ${why}: unknown` };
      proc = { pid: undefined, exited: Promise.resolve(exit), stop: () => {} };
      this.o.events.pod(r.pod, 'Warning', 'Failed', `Error: ${exit.startError}`, c.name);
    } else {
      proc = startContainer({
        cmd: { file, args: cmd.args }, env: full, cwd, user: u, cgroup,
        netnsExec: r.network?.exec,
        rssLimit: !cgroup && limit > 0 ? limit : undefined,
        output: (t) => this.o.logs.append(r.uid, c.name, t),
      });
      this.o.events.pod(r.pod, 'Normal', 'Started', `Started container ${c.name}`, c.name);
    }
    r.containers.set(c.name, { proc, cgroup, startedAt, id });
    st.setRunning(r.view, c.name, id);
    void proc.exited.then((exit) => this.exited(r, c, exit, startedAt, env, mounts, podDir));
  }

  private exited(r: PodRun, c: any, exit: ContainerExit, startedAt: string, env: Record<string, string>, mounts: Mount[], podDir: string): void {
    const running = r.containers.get(c.name);
    r.containers.delete(c.name);
    void running?.cgroup?.remove();
    this.o.logs.end(r.uid, c.name);
    if (r.deleted || this.closed) return;
    const reason = exit.oomKilled ? 'OOMKilled' : exit.startError ? 'StartError' : exit.exitCode === 0 ? 'Completed' : 'Error';
    const policy = r.pod.spec.restartPolicy ?? 'Always';
    const restart = !r.stopping && (policy === 'Always' || (policy === 'OnFailure' && exit.exitCode !== 0));
    const v = r.view;
    st.setTerminated(v, c.name, { exitCode: exit.exitCode, reason, message: exit.startError, startedAt, finishedAt: st.now(), containerID: running?.id });
    if (restart) {
      const s = st.containerStatus(v, c.name);
      s.lastState = s.state;
      s.restartCount++;
      const delay = Math.min(10_000 * 2 ** (s.restartCount - 1), 300_000);
      st.setWaiting(v, c.name, 'CrashLoopBackOff', `back-off ${delay / 1000}s restarting failed container=${c.name} pod=${r.pod.metadata.name}_${r.pod.metadata.namespace}(${r.uid})`);
      st.markUnready(v);
      this.o.events.pod(r.pod, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${r.pod.metadata.name}_${r.pod.metadata.namespace}(${r.uid})`, c.name);
      void this.sync(r);
      this.later(r, delay, () => {
        if (r.stopping) return;
        this.o.logs.rotate(r.uid, c.name);
        this.runContainer(r, c, env, mounts, podDir, `caplab-process://${randomBytes(16).toString('hex')}`);
        if (r.containers.size === r.pod.spec.containers.length) {
          st.setCondition(v, 'Ready', 'True');
          st.setCondition(v, 'ContainersReady', 'True');
        }
        void this.sync(r);
      });
      return;
    }
    const phase = st.finalPhase(v);
    if (phase) {
      v.status.phase = phase;
      st.setCondition(v, 'PodReadyToStartContainers', 'False');
      st.markUnready(v, phase === 'Succeeded' ? 'PodCompleted' : 'PodFailed');
      r.finished = true;
      this.releaseNetwork(r);
    } else st.markUnready(v);
    const sent = this.sync(r);
    if (r.finished && r.stopping) void sent.then(() => this.removeFromApi(r.pod));
  }

  /** deletionTimestamp set: SIGTERM, SIGKILL after the grace period, terminal phase, then the DELETE. */
  private stop(r: PodRun): void {
    r.stopping = true;
    const grace = r.pod.metadata.deletionGracePeriodSeconds ?? r.pod.spec.terminationGracePeriodSeconds ?? 30;
    if (r.containers.size === 0) {
      // Nothing runs (never started, or done): terminal now, then gone.
      if (!r.finished) {
        for (const c of r.pod.spec.containers) {
          const s = st.containerStatus(r.view, c.name);
          if (!s.state?.terminated) {
            st.setTerminated(r.view, c.name, { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated', finishedAt: st.now() });
          }
        }
        r.view.status.phase = st.finalPhase(r.view) ?? 'Failed';
        st.markUnready(r.view, 'PodFailed');
        r.finished = true;
        this.releaseNetwork(r);
      }
      void this.sync(r).then(() => this.removeFromApi(r.pod));
      return;
    }
    for (const [name, run] of r.containers) {
      this.o.events.pod(r.pod, 'Normal', 'Killing', `Stopping container ${name}`, name);
      run.proc.stop(grace * 1000);
    }
  }

  /** The kubelet's final DELETE (grace 0, for this uid only); finalizers stay for their owners. */
  private async removeFromApi(pod: WireObject): Promise<void> {
    try {
      await this.o.api.delete(`/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`, {
        apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid },
      });
    } catch (e) {
      if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) this.o.log(`delete ${pod.metadata.namespace}/${pod.metadata.name}: ${(e as Error).message}`);
    }
  }

  private releaseNetwork(r: PodRun): void {
    if (r.network) removePodNetwork(r.uid);
    r.network = undefined;
    if (r.ip && this.o.cfg.network.mode === 'netns') this.ipsInUse.delete(r.ip);
    rmSync(join(this.o.cfg.dir, 'pods', r.uid), { recursive: true, force: true });
  }

  /** The pod is gone from the API (or the agent stops): end everything of it now. */
  private async kill(r: PodRun): Promise<void> {
    for (const t of r.timers) clearTimeout(t);
    r.timers.clear();
    const waits = [...r.containers.values()].map((c) => (c.proc.stop(0), c.proc.exited));
    await Promise.all(waits);
    await Promise.all([...r.containers.values()].map((c) => c.cgroup?.remove()));
    this.releaseNetwork(r);
    this.runs.delete(r.uid);
  }
}
