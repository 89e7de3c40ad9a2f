/**
 * The kubelet (and the scheduler's trigger): moves each pod Pending → Running → Succeeded/Failed
 * one step per tick, runs its containers (local processes or simulated), keeps their logs,
 * records the kubelet's events, applies pod faults, and stops containers of deleted pods.
 */
import { join } from 'node:path';
import type { Ctx } from './context.ts';
import type { FakeObject, SimulatedOutcome } from './types.ts';
import type { StoreEvent } from './store.ts';
import type { ContainerHandle, ExitInfo } from './runtime.ts';
import { startFailed, startProcess, startSimulated } from './runtime.ts';
import { schedule } from './scheduler.ts';
import { recordEvent } from './events.ts';
import { containerEnv, ConfigError } from '../../k8s/local/node/env.ts';
import { prepareMounts, translate } from '../../k8s/local/node/volumes.ts';
import { storeSource } from './source.ts';
import { containerArgv, defaultResolve } from '../../k8s/local/node/command.ts';
import { podIndexOf } from './faults.ts';
import * as st from '../../k8s/local/node/pod-status.ts';

interface PodRun {
  uid: string;
  handles: Map<string, ContainerHandle>;
  deleting: boolean;
}

const TERMINAL = new Set(['Succeeded', 'Failed']);
const KILL_GRACE_MS = 1000;

export class Kubelet {
  private readonly ctx: Ctx;
  private readonly runs = new Map<string, PodRun>();
  /** Pods waiting for a node, or for a ConfigMap/Secret they reference. */
  private readonly waiting = new Map<string, 'schedule' | 'config'>();
  private nextIp = 2;

  constructor(ctx: Ctx) {
    this.ctx = ctx;
    ctx.store.onChange((ev) => this.onEvent(ev));
  }

  private onEvent(ev: StoreEvent): void {
    const o = ev.object;
    const key = `${o.metadata.namespace}/${o.metadata.name}`;
    if (ev.resource === 'pods' && ev.type === 'ADDED' && !o.spec?.nodeName) {
      this.waiting.set(key, 'schedule');
      this.ctx.later(() => this.trySchedule(key));
    } else if (ev.resource === 'pods' && o.spec?.nodeName && (ev.type === 'ADDED' || (ev.type === 'MODIFIED' && !ev.prev?.spec?.nodeName))) {
      this.ctx.later(() => this.prepare(o.metadata.namespace!, o.metadata.name, o.metadata.uid));
    }
    // Capacity freed or a missing ConfigMap appeared: retry what waits for it.
    const freed = ev.resource === 'pods' && (ev.type === 'DELETED' || (TERMINAL.has(o.status?.phase) && !TERMINAL.has(ev.prev?.status?.phase)));
    const config = ['configmaps', 'secrets', 'persistentvolumeclaims'].includes(ev.resource) && ev.type !== 'DELETED';
    if (freed || config) {
      for (const [k, why] of this.waiting) {
        if (why === 'schedule' || (config && why === 'config')) this.ctx.later(() => (why === 'schedule' ? this.trySchedule(k) : this.retryConfig(k)));
      }
    }
  }

  private trySchedule(key: string): void {
    if (this.waiting.get(key) !== 'schedule') return;
    const [ns, name] = key.split('/');
    const pod = this.ctx.store.get('pods', ns, name);
    if (!pod || pod.spec.nodeName || pod.metadata.deletionTimestamp) return void this.waiting.delete(key);
    if (schedule(this.ctx, pod)) this.waiting.delete(key);
  }

  private retryConfig(key: string): void {
    if (this.waiting.get(key) !== 'config') return;
    this.waiting.delete(key);
    const [ns, name] = key.split('/');
    const pod = this.ctx.store.get('pods', ns, name);
    if (pod) this.start(pod);
  }

  private event(pod: FakeObject, type: 'Normal' | 'Warning', reason: string, message: string, container?: string): void {
    recordEvent(this.ctx.store, pod, type, reason, message, { component: 'kubelet', host: pod.spec.nodeName }, container ? `spec.containers{${container}}` : undefined);
  }

  private mutate(pod: { metadata: { namespace?: string; name: string; uid: string } }, fn: (p: FakeObject) => void): FakeObject | undefined {
    const cur = this.ctx.store.get('pods', pod.metadata.namespace, pod.metadata.name);
    if (!cur || cur.metadata.uid !== pod.metadata.uid) return undefined;
    return this.ctx.store.mutate('pods', pod.metadata.namespace, pod.metadata.name, fn);
  }

  /** Bound: the sandbox is being created; containers wait in ContainerCreating. */
  private prepare(ns: string, name: string, uid: string): void {
    const node = this.ctx.store.list('nodes').findIndex((n) => n.metadata.name === this.ctx.store.get('pods', ns, name)?.spec.nodeName);
    const pod = this.mutate({ metadata: { namespace: ns, name, uid } }, (p) => {
      const hostIP = `10.0.0.${node + 1}`;
      p.status.hostIP = hostIP;
      p.status.hostIPs = [{ ip: hostIP }];
      p.status.startTime = st.now();
      st.setCondition(p, 'PodReadyToStartContainers', 'False');
      st.setCondition(p, 'Initialized', 'True');
      st.markUnready(p);
      for (const c of p.spec.containers) st.setWaiting(p, c.name, 'ContainerCreating');
    });
    if (!pod) return;
    const pull = this.ctx.faults.forPod('image-pull', pod);
    if (pull) return this.ctx.later(() => this.failPull(pod));
    this.ctx.later(() => this.start(pod));
  }

  private failPull(pod: FakeObject): void {
    const c = pod.spec.containers[0];
    const image = c.image;
    const why = `rpc error: code = NotFound desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": ${image}: not found`;
    this.event(pod, 'Normal', 'Pulling', `Pulling image "${image}"`, c.name);
    this.event(pod, 'Warning', 'Failed', `Failed to pull image "${image}": ${why}`, c.name);
    this.event(pod, 'Warning', 'Failed', 'Error: ErrImagePull', c.name);
    const p1 = this.mutate(pod, (p) => st.setWaiting(p, c.name, 'ErrImagePull', why));
    if (!p1) return;
    this.ctx.later(() => {
      this.event(pod, 'Normal', 'BackOff', `Back-off pulling image "${image}"`, c.name);
      this.event(pod, 'Warning', 'Failed', 'Error: ImagePullBackOff', c.name);
      this.mutate(pod, (p) => st.setWaiting(p, c.name, 'ImagePullBackOff', `Back-off pulling image "${image}": ErrImagePull: ${why}`));
    });
  }

  /** Starts every container; a missing ConfigMap/Secret leaves the pod waiting for it. */
  private start(stale: FakeObject): void {
    // Re-read: the pod may have been deleted or changed since this step was queued.
    const pod = this.ctx.store.get('pods', stale.metadata.namespace, stale.metadata.name);
    if (!pod || pod.metadata.uid !== stale.metadata.uid) return;
    if (pod.metadata.deletionTimestamp || this.runs.has(pod.metadata.uid)) return;
    const prepared: Array<{ c: any; env: Record<string, string>; mounts: ReturnType<typeof prepareMounts> }> = [];
    try {
      for (const c of pod.spec.containers) {
        prepared.push({ c, env: containerEnv(storeSource(this.ctx.store, this.ctx.stateDir, pod), pod, c), mounts: this.ctx.opts.mode === 'process' ? prepareMounts(storeSource(this.ctx.store, this.ctx.stateDir, pod), { podDir: join(this.ctx.stateDir, 'pods', pod.metadata.uid) }, pod, c) : [] });
      }
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      this.waiting.set(`${pod.metadata.namespace}/${pod.metadata.name}`, 'config');
      const why = e.message;
      const mount = why.startsWith('MountVolume');
      if (mount) this.event(pod, 'Warning', 'FailedMount', why);
      else this.event(pod, 'Warning', 'Failed', `Error: ${why}`, pod.spec.containers[0].name);
      if (!mount) this.mutate(pod, (p) => st.setWaiting(p, p.spec.containers[0].name, 'CreateContainerConfigError', why));
      return;
    }
    const run: PodRun = { uid: pod.metadata.uid, handles: new Map(), deleting: false };
    this.runs.set(pod.metadata.uid, run);
    const ids = new Map(prepared.map(({ c }) => [c.name, st.containerId()]));
    for (const { c } of prepared) {
      this.event(pod, 'Normal', 'Pulled', `Container image "${c.image}" already present on machine`, c.name);
      this.event(pod, 'Normal', 'Created', `Created container: ${c.name}`, c.name);
      this.event(pod, 'Normal', 'Started', `Started container ${c.name}`, c.name);
    }
    const running = this.mutate(pod, (p) => {
      p.status.phase = 'Running';
      const ip = `10.244.${(this.nextIp >> 8) & 255}.${this.nextIp++ & 255}`;
      p.status.podIP = ip;
      p.status.podIPs = [{ ip }];
      st.setCondition(p, 'PodReadyToStartContainers', 'True');
      st.setCondition(p, 'Ready', 'True');
      st.setCondition(p, 'ContainersReady', 'True');
      for (const c of p.spec.containers) st.setRunning(p, c.name, ids.get(c.name)!);
    });
    if (!running) return;
    for (const { c, env, mounts } of prepared) this.runContainer(running, c, env, mounts, run);
    // Preempted as soon as it runs, before a simulated container could finish on its own.
    if (this.ctx.faults.forPod('disruption', running)) this.disrupt(running, run);
  }

  private runContainer(pod: FakeObject, c: any, env: Record<string, string>, mounts: ReturnType<typeof prepareMounts>, run: PodRun): void {
    const uid = pod.metadata.uid;
    const oom = this.ctx.faults.forPod('oom', pod);
    const exit = this.ctx.faults.forPod('exit', pod);
    const startedAt = st.now();
    this.ctx.logs.open(uid, c.name);
    const cb = {
      output: (t: string) => this.ctx.logs.append(uid, c.name, t),
      exit: (info: ExitInfo) => this.containerExited(pod, c, info, startedAt, oom ? (oom.exitCode ?? 137) : undefined, run),
    };
    let handle: ContainerHandle;
    if (exit) handle = startSimulated({ exitCode: exit.exitCode, log: exit.log }, cb, (f) => this.ctx.later(f));
    else if (this.ctx.opts.mode === 'simulated') {
      const outcome: SimulatedOutcome | 'hold' = oom && (oom.exitCode ?? 137) === 137 ? { exitCode: 137 }
        : this.ctx.opts.simulate?.(pod, c.name) ?? { exitCode: 0, log: `${JSON.stringify({ pod: pod.metadata.name, index: podIndexOf(pod) ?? null })}\n` };
      handle = startSimulated(outcome, cb, (f) => this.ctx.later(f));
    } else {
      const fullEnv: Record<string, string> = { ...this.ctx.opts.baseEnv, HOSTNAME: pod.spec.hostname ?? pod.metadata.name };
      for (const [k, v] of Object.entries(env)) fullEnv[k] = translate(v, mounts);
      const argv = containerArgv(c, env)?.map((a) => translate(a, mounts));
      const cmd = argv && (this.ctx.opts.resolveCommand?.(c, pod) ?? defaultResolve(argv, this.ctx.opts.repoRoot));
      const workingDir = c.workingDir ? translate(c.workingDir, mounts) : undefined;
      const cwd = workingDir && workingDir !== c.workingDir ? workingDir : this.ctx.opts.repoRoot;
      const onSpawn = oom && (oom.exitCode ?? 137) === 137 ? (kill: () => void) => kill() : undefined;
      handle = cmd
        ? startProcess(cmd, fullEnv, cwd, cb, onSpawn)
        : startFailed('failed to create containerd task: no command specified: unknown', cb, (f) => this.ctx.later(f));
    }
    run.handles.set(c.name, handle);
  }

  private containerExited(pod: FakeObject, c: any, info: ExitInfo, startedAt: string, oomExit: number | undefined, run: PodRun): void {
    this.ctx.logs.end(pod.metadata.uid, c.name);
    run.handles.delete(c.name);
    const exitCode = oomExit ?? info.exitCode;
    const reason = oomExit !== undefined ? 'OOMKilled' : info.startError ? 'StartError' : exitCode === 0 ? 'Completed' : 'Error';
    const policy = pod.spec.restartPolicy;
    const restart = !run.deleting && !this.ctx.closed && (policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0));
    const updated = this.mutate(pod, (p) => {
      st.setTerminated(p, c.name, { exitCode, reason, message: info.startError, startedAt, finishedAt: st.now() });
      if (restart) {
        const s = st.containerStatus(p, c.name);
        s.lastState = s.state;
        s.restartCount++;
        st.setWaiting(p, c.name, 'CrashLoopBackOff', `back-off 10s restarting failed container=${c.name} pod=${p.metadata.name}_${p.metadata.namespace}(${p.metadata.uid})`);
        st.markUnready(p);
        return;
      }
      const phase = st.finalPhase(p);
      if (phase) {
        p.status.phase = phase;
        st.setCondition(p, 'PodReadyToStartContainers', 'False');
        st.markUnready(p, phase === 'Succeeded' ? 'PodCompleted' : 'PodFailed');
      } else st.markUnready(p);
    });
    if (restart && updated) {
      this.event(updated, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`, c.name);
      // The kubelet's crash-loop back-off (10 s doubling to 5 min), compressed: next tick, then 100 ms doubling to 10 s.
      const n = st.containerStatus(updated, c.name).restartCount;
      if (n <= 1) this.ctx.later(() => this.restart(updated, c, run));
      else this.ctx.timer(() => this.restart(updated, c, run), Math.min(100 * 2 ** (n - 2), 10_000));
    }
    if (run.handles.size === 0 && !restart) {
      this.runs.delete(run.uid);
      if (run.deleting) this.ctx.store.remove('pods', pod.metadata.namespace, pod.metadata.name);
    }
  }

  private restart(pod: FakeObject, c: any, run: PodRun): void {
    this.ctx.logs.rotate(pod.metadata.uid, c.name);
    const id = st.containerId();
    const p = this.mutate(pod, (x) => {
      st.setRunning(x, c.name, id);
      if ((x.status.containerStatuses ?? []).every((s: any) => s.state.running)) {
        st.setCondition(x, 'Ready', 'True');
        st.setCondition(x, 'ContainersReady', 'True');
      }
    });
    if (!p) return;
    const env = containerEnv(storeSource(this.ctx.store, this.ctx.stateDir, p), p, c);
    const mounts = this.ctx.opts.mode === 'process' ? prepareMounts(storeSource(this.ctx.store, this.ctx.stateDir, p), { podDir: join(this.ctx.stateDir, 'pods', p.metadata.uid) }, p, c) : [];
    this.runContainer(p, c, env, mounts, run);
  }

  private disrupt(pod: FakeObject, run: PodRun): void {
    const p = this.mutate(pod, (x) => st.setCondition(x, 'DisruptionTarget', 'True', 'PreemptionByScheduler', 'Preempted in order to admit critical pod'));
    if (!p) return;
    this.event(p, 'Normal', 'Killing', `Stopping container ${p.spec.containers[0].name}`, p.spec.containers[0].name);
    for (const h of run.handles.values()) h.stop(0);
  }

  /** Pods without running containers go at once; running ones get SIGTERM, then leave when stopped. */
  deletePod(namespace: string, name: string, graceSeconds?: number): FakeObject | undefined {
    const pod = this.ctx.store.get('pods', namespace, name);
    if (!pod) return undefined;
    this.waiting.delete(`${namespace}/${name}`);
    const run = this.runs.get(pod.metadata.uid);
    if (!run || run.handles.size === 0 || graceSeconds === 0) {
      if (run) for (const h of run.handles.values()) h.stop(0);
      this.runs.delete(pod.metadata.uid);
      return this.ctx.store.remove('pods', namespace, name);
    }
    const grace = graceSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
    run.deleting = true;
    const marked = this.ctx.store.mutate('pods', namespace, name, (p) => {
      p.metadata.deletionTimestamp = new Date(Date.now() + grace * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
      p.metadata.deletionGracePeriodSeconds = grace;
    });
    for (const c of pod.spec.containers) this.event(pod, 'Normal', 'Killing', `Stopping container ${c.name}`, c.name);
    for (const h of run.handles.values()) h.stop(Math.min(grace * 1000, KILL_GRACE_MS));
    return marked;
  }

  finishPod(namespace: string, name: string, outcome: SimulatedOutcome): void {
    const pod = this.ctx.store.get('pods', namespace, name);
    const run = pod && this.runs.get(pod.metadata.uid);
    if (!run) throw new Error(`k8s-fake: pod ${namespace}/${name} has no running containers to finish`);
    for (const h of [...run.handles.values()]) {
      if (!h.finish) throw new Error(`k8s-fake: pod ${name} runs a process; finishPod is for mode 'simulated'`);
      h.finish(outcome);
    }
  }

  async stopAll(): Promise<void> {
    const all = [...this.runs.values()].flatMap((r) => [...r.handles.values()]);
    for (const h of all) h.stop(0);
    await Promise.all(all.map((h) => h.exited));
  }
}
