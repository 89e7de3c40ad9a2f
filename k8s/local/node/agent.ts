/**
 * A process node: registers its Node, keeps its Lease, watches the pods bound to it and the
 * EndpointSlices their hosts files come from, runs the pods (PodManager) and serves their logs.
 */
import type { Server } from 'node:https';
import { Api, listWatch, type Watcher } from '../api.ts';
import type { NodeConfig } from './config.ts';
import { Recorder } from './events.ts';
import { Logs } from './logs.ts';
import { PodManager } from './pods.ts';
import { startLogServer } from './log-server.ts';
import { detectCgroups, recordRoot } from './cgroup.ts';
import { heartbeat, registerNode, renewLease, RENEW_MS } from './register.ts';
import * as st from './pod-status.ts';
import type { WireObject } from './wire.ts';

const HEARTBEAT_MS = 60_000;

export class Agent {
  private readonly cfg: NodeConfig;
  private readonly api: Api;
  private readonly log: (l: string) => void;
  private node: WireObject | undefined;
  private readonly slices = new Map<string, WireObject>();
  private pods!: PodManager;
  private server?: Server;
  private watchers: Watcher[] = [];
  private timers: NodeJS.Timeout[] = [];

  constructor(cfg: NodeConfig, log: (l: string) => void) {
    this.cfg = cfg;
    this.api = new Api(cfg.kubeconfig);
    this.log = log;
  }

  async start(): Promise<void> {
    const { cfg, api, log } = this;
    const since = st.now();
    const cgroups = detectCgroups();
    const events = new Recorder(api, cfg.name, log);
    const logs = new Logs();
    this.node = await registerNode(api, cfg, since);
    log(`registered ${cfg.name} (${cfg.ip}, ${cfg.cpu} CPU, ${cfg.memory}, ${cfg.pods} pods); memory limits: ${cgroups.kind === 'none' ? `RSS watch (${cgroups.why})` : `cgroup ${cgroups.kind} under ${cgroups.root}`}`);
    if (cgroups.kind === 'none') {
      events.nodeEvent(this.node.metadata.uid, 'Warning', 'MemoryLimitsNotEnforced', `no memory cgroup can be made (${cgroups.why}): container memory limits fall back to watching RSS every 200 ms`);
    } else recordRoot(cfg.dir, cgroups.root);
    if (cfg.network.mode === 'host') {
      events.nodeEvent(this.node.metadata.uid, 'Warning', 'HostNetworkOnly', `pods run as host processes without their own network (${cfg.network.why}): pod IPs are the node's, <pod>.<service> names do not resolve`);
    }
    await renewLease(api, cfg, this.node);
    this.timers.push(setInterval(() => void renewLease(api, cfg, this.node!).catch((e) => log(`lease: ${(e as Error).message}`)), RENEW_MS));
    this.timers.push(setInterval(() => void heartbeat(api, cfg, since).then((n) => (this.node = n), (e) => log(`heartbeat: ${(e as Error).message}`)), HEARTBEAT_MS));
    this.pods = new PodManager({
      cfg, api, events, logs, cgroups, log,
      node: () => this.node,
      slices: (ns) => [...this.slices.values()].filter((s) => s.metadata.namespace === ns),
    });
    this.server = await startLogServer({
      host: cfg.ip, port: cfg.port, tls: cfg.tls, logs,
      find: (ns, name) => {
        const r = this.pods.find(ns, name);
        if (!r) return undefined;
        return {
          uid: r.uid,
          containers: (r.pod.spec.containers ?? []).map((c: any) => c.name),
          waiting: (c) => (r.view.status.containerStatuses ?? []).find((s: any) => s.name === c)?.state?.waiting?.reason,
        };
      },
    });
    const onError = (what: string) => (e: unknown) => log(`${what} watch: ${(e as Error).message}`);
    this.watchers.push(listWatch(api, '/api/v1/pods', { fieldSelector: `spec.nodeName=${cfg.name}` }, {
      onList: (items) => this.pods.onList(items),
      onEvent: (type, pod) => this.pods.onPod(type, pod),
      onError: onError('pods'),
    }));
    if (cfg.network.mode === 'netns') {
      const changed = (ns: string | undefined) => ns && this.pods.refreshHosts(ns);
      this.watchers.push(listWatch(api, '/apis/discovery.k8s.io/v1/endpointslices', {}, {
        onList: (items) => {
          const namespaces = new Set([...this.slices.values(), ...items].map((s) => s.metadata.namespace));
          this.slices.clear();
          for (const s of items) this.slices.set(s.metadata.uid, s);
          for (const ns of namespaces) changed(ns);
        },
        onEvent: (type, s) => {
          if (type === 'DELETED') this.slices.delete(s.metadata.uid);
          else this.slices.set(s.metadata.uid, s);
          changed(s.metadata.namespace);
        },
        onError: onError('endpointslices'),
      }));
    }
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    for (const w of this.watchers) w.stop();
    await this.pods?.close();
    this.server?.close();
  }
}
