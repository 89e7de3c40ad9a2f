/**
 * Watching one search Job until every spec has a result: the driver around `reconcile`
 * (kubernetes-reconcile.ts, where every decision is). It runs three watches (the Job, its pods,
 * the Job's events; each re-lists after 410 Gone and restarts with backoff), records what they
 * report and what the user asks (cancel, early stop) in the observed state, calls reconcile after
 * each change, and applies the actions it returns: API calls, hooks, and one timer for "look
 * again after N ms".
 */
import type { Provenance } from '../provenance.ts';
import { localProvenance } from '../provenance.ts';
import type { ExecHooks, Spec, SpecResult } from './types.ts';
import { lineSplitter, parseWorkerLine } from '../spec/protocol.ts';
import { deletePod, followPodLog, type FollowedLog } from '../cluster/follow.ts';
import { LABEL } from '../cluster/labels.ts';
import { apiFailure, cancelSearchJob, latestPodWarning, readPodLog, scaleUpTriggered } from '../cluster/jobs.ts';
import { jobEventsSelector } from '../cluster/create-failure.ts';
import { watchObjects, type RunningWatch, type WatchOptions } from '../cluster/watch.ts';
import { WORKER_CONTAINER } from '../cluster/objects/pod.ts';
import type { Kube } from '../cluster/kube.ts';
import type { SearchJobManifests } from '../cluster/search-job.ts';
import type { CoreV1Event, V1Job, V1Pod } from '../cluster/vendor.ts';
import type { ProgressHook } from '../progress.ts';
import { reconcile } from './kubernetes-reconcile.ts';
import {
  asked, jobChanged, jobDeleted, jobDeleteDone, jobEventChanged, jobsListed, logRead, newState, podChanged, podDeleted,
  podEventsRead, podsListed, submitted, type Action, type PodEvents, type State,
} from './kubernetes-observed.ts';

export { parseIndexes } from './kubernetes-reconcile-pass.ts';

export type TraceEvent =
  | { kind: 'submit'; at: number }
  | { kind: 'pod-running'; id: string; at: number }
  | { kind: 'pod-done'; id: string; at: number }
  | { kind: 'result'; id: string; at: number };

export interface SuperviseArgs {
  kube: Kube;
  /** Applies the manifests; called once the watches are open, so no pod event is missed. */
  submit: () => Promise<unknown>;
  manifests: SearchJobManifests;
  specs: Spec[];
  hooks: ExecHooks;
  serverVersion?: string;
  options: {
    retries?: number;
    unschedulableGraceMs: number;
    createFailedGraceMs: number;
    watch?: WatchOptions;
    onProgress?: ProgressHook;
    onTrace?: (e: TraceEvent) => void;
  };
}

export function superviseSearchJob(args: SuperviseArgs): Promise<SpecResult[]> {
  return new Supervisor(args).run();
}

class Supervisor {
  private readonly args: SuperviseArgs;
  private readonly state: State;
  private readonly results: SpecResult[] = [];
  private readonly watches: Array<RunningWatch<unknown>> = [];
  private readonly follows = new Map<string, { index: number; log: Promise<FollowedLog> }>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private finished = false;
  private ticking = false;
  private again = false;
  private resolve!: (r: SpecResult[]) => void;
  private reject!: (e: unknown) => void;

  constructor(args: SuperviseArgs) {
    this.args = args;
    const { hooks, options, manifests, kube, specs } = args;
    this.state = newState(specs, {
      name: manifests.name,
      namespace: kube.namespace,
      retries: options.retries ?? 0,
      unschedulableGraceMs: options.unschedulableGraceMs,
      createFailedGraceMs: options.createFailedGraceMs,
      followLogs: Boolean(hooks.onSpecProgress || hooks.onEvent),
    });
  }

  run(): Promise<SpecResult[]> {
    const done = new Promise<SpecResult[]>((res, rej) => ((this.resolve = res), (this.reject = rej)));
    const signal = this.args.hooks.signal;
    if (signal?.aborted) this.state.cancel = true;
    else signal?.addEventListener('abort', this.onAbort, { once: true });
    void this.open();
    this.tick();
    return done;
  }

  /** Calls reconcile until it has nothing new to say, applying what it asks. */
  private readonly tick = (): void => {
    if (this.finished) return;
    if (this.ticking) return void (this.again = true);
    this.ticking = true;
    try {
      do {
        this.again = false;
        for (const action of reconcile({ ...this.state, now: Date.now() })) this.apply(action);
        if (this.state.settled.size === this.state.specs.length) return void this.finish();
      } while (this.again && !this.finished);
    } finally {
      this.ticking = false;
    }
  };

  private apply(a: Action): void {
    const { kube } = this.args;
    asked(this.state, a);
    switch (a.kind) {
      case 'submit': return this.submit();
      case 'settle': return this.settle(a);
      case 'delete-job':
        return void cancelSearchJob(kube, this.state.config.name, { service: Boolean(this.args.manifests.service) })
          .catch((e) => this.message(`Could not delete Job ${this.state.config.name}: ${(e as Error).message}`))
          .finally(() => this.after(() => jobDeleteDone(this.state)));
      case 'delete-pod':
        // The worker gets SIGTERM, prints a 'stopped' result and exits.
        return void deletePod(kube, a.pod).catch((e) => this.message(`Could not stop pod ${a.pod}: ${(e as Error).message}`));
      case 'read-log':
        this.trace({ kind: 'pod-done', id: this.idOf(a.index), at: performance.now() });
        return void readLogWithRetry(kube, a.pod.metadata!.name!).then(
          (log) => this.after(() => logRead(this.state, a.index, { log })),
          (e) => this.after(() => logRead(this.state, a.index, { error: (e as Error).message })),
        );
      case 'read-pod-events':
        return void readPodEvents(kube, a.pod).then((events) => this.after(() => podEventsRead(this.state, a.key, events)));
      case 'follow': return this.follow(a.index, a.pod);
      case 'started':
        this.trace({ kind: 'pod-running', id: this.idOf(a.index), at: performance.now() });
        return this.args.hooks.onEvent?.({ kind: 'started', id: this.idOf(a.index), worker: a.worker, at: a.at });
      case 'message': return this.message(a.text);
      case 'requeue': return this.requeue(a.afterMs);
      case 'mark': return;
    }
  }

  /** Records an observation or an effect's end, then reconciles. */
  private after(record: () => void): void {
    if (this.finished) return;
    record();
    this.tick();
  }

  private async open(): Promise<void> {
    const { kube, options } = this.args;
    const selector = `${LABEL.job}=${this.state.config.name}`;
    const onError = (e: unknown, ms: number) => this.message(`Watch on ${this.state.config.name} broke (${(e as Error)?.message ?? e}); restarting in ${ms} ms.`);
    const onFatal = (e: unknown) => this.fail(apiFailure(e, 'watch', 'pods or jobs', kube.namespace, this.state.config.name));
    try {
      this.watches.push(await watchObjects<V1Job>(kube, 'jobs', selector, {
        onChange: (j) => this.after(() => jobChanged(this.state, j)),
        onDelete: (j) => this.after(() => jobDeleted(this.state, j)),
        onSynced: (jobs) => this.after(() => jobsListed(this.state, jobs)),
        onError,
        onFatal,
      }, options.watch) as RunningWatch<unknown>);
      this.watches.push(await watchObjects<V1Pod>(kube, 'pods', selector, {
        onChange: (p) => this.after(() => podChanged(this.state, p)),
        onDelete: (p) => this.after(() => podDeleted(this.state, p)),
        onSynced: (pods) => this.after(() => podsListed(this.state, pods)),
        onError,
        onFatal,
      }, options.watch) as RunningWatch<unknown>);
      this.watches.push(await watchObjects<CoreV1Event>(kube, 'events', { field: jobEventsSelector(this.state.config.name) }, {
        onChange: (e) => this.after(() => jobEventChanged(this.state, e)),
        onDelete: () => undefined,
        onError,
        // Events only speed up a verdict: losing their watch must not end the search.
        onFatal: (e) => this.message(`Cannot watch events of ${this.state.config.name} (${(e as Error)?.message ?? e}): pods the API server refuses will not be reported.`),
      }, options.watch) as RunningWatch<unknown>);
    } catch (e) {
      return onFatal(e);
    }
    if (this.finished) return void (await this.stopWatches());
    this.after(() => void (this.state.submit = 'ready'));
  }

  private submit(): void {
    this.args.submit().then(
      () => this.after(() => submitted(this.state)),
      (e) => this.fail(e),
    );
  }

  private settle(a: Extract<Action, { kind: 'settle' }>): void {
    this.stopFollowing(a.index);
    const result: SpecResult = { ...a.result, provenance: this.provenanceFor(a.pod, a.fromWorker) };
    this.results[a.index] = result;
    this.trace({ kind: 'result', id: result.id, at: performance.now() });
    this.args.hooks.onEvent?.({ kind: 'finished', result });
  }

  /** Live progress lines of a running pod: progress events, and the chance to stop it early. */
  private follow(index: number, pod: string): void {
    const { hooks, kube } = this.args;
    const id = this.idOf(index);
    const lines = lineSplitter((line) => {
      const parsed = parseWorkerLine(line);
      if (!parsed || parsed.caplab !== 'progress' || parsed.id !== id || this.state.settled.has(index)) return;
      hooks.onEvent?.({ kind: 'progress', id, worker: pod, data: parsed.data });
      if (hooks.onSpecProgress?.(id, parsed.data) === 'stop' && !this.state.stopAsked.has(index)) {
        this.after(() => this.state.stopAsked.add(index));
      }
    });
    this.follows.set(pod, { index, log: followPodLog(kube, pod, (t) => lines.push(t)) });
  }

  private stopFollowing(index?: number): void {
    for (const f of this.follows.values()) if (index === undefined || f.index === index) void f.log.then((x) => x.stop());
  }

  private readonly onAbort = (): void => this.after(() => void (this.state.cancel = true));

  private requeue(afterMs: number): void {
    const at = Date.now() + afterMs;
    if (this.timer && at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.tick();
    }, afterMs);
  }

  private async finish(): Promise<void> {
    this.end();
    await this.stopWatches();
    this.resolve(this.results);
  }

  private fail(e: unknown): void {
    if (this.finished) return;
    this.end();
    void this.stopWatches().then(() => this.reject(e));
  }

  private end(): void {
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.args.hooks.signal?.removeEventListener('abort', this.onAbort);
    this.stopFollowing();
  }

  private stopWatches(): Promise<unknown> {
    return Promise.all(this.watches.map((w) => w.stop().catch(() => undefined)));
  }

  private provenanceFor(pod: V1Pod | undefined, fromWorker?: Provenance): Provenance {
    const base = fromWorker ?? localProvenance('kubernetes');
    const limits = pod?.spec?.containers?.find((c) => c.name === WORKER_CONTAINER)?.resources?.limits;
    const node = pod?.spec?.nodeName;
    return {
      ...base,
      executor: 'kubernetes',
      host: node ?? base.host,
      cluster: {
        context: this.args.kube.context,
        ...(this.args.serverVersion ? { serverVersion: this.args.serverVersion } : {}),
        ...(pod?.metadata?.name ? { pod: pod.metadata.name } : {}),
        ...(node ? { node } : {}),
        ...(limits?.cpu ? { cpu: String(limits.cpu) } : {}),
        ...(limits?.memory ? { memory: String(limits.memory) } : {}),
      },
    };
  }

  private idOf(index: number): string {
    return this.state.specs[index].id;
  }

  private trace(e: TraceEvent): void {
    this.args.options.onTrace?.(e);
  }

  private message(text: string): void {
    this.args.options.onProgress?.({ kind: 'message', text });
  }
}

async function readPodEvents(kube: Kube, pod: string): Promise<PodEvents> {
  const [warning, scaleUp] = await Promise.all([latestPodWarning(kube, pod), scaleUpTriggered(kube, pod)]);
  return warning ? { warning, scaleUp } : { scaleUp };
}

async function readLogWithRetry(kube: Kube, pod: string): Promise<string> {
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      return await readPodLog(kube, pod);
    } catch {
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
  }
  // A pod already gone (deleted with its Job) has no log: the pod state still tells the outcome.
  return '';
}
