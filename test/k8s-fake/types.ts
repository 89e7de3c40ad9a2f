/**
 * Public types of the Kubernetes API double. Objects are kept in their wire (JSON) form, exactly
 * as the apiserver would send them, so `spec`/`status` are loosely typed on purpose: tests read
 * them like `job.status.succeeded` without fighting the client's model classes (whose dates are
 * Date objects, unlike the wire form).
 */

/** Wire-form ObjectMeta (the fields the double sets or reads). */
export interface FakeObjectMeta {
  name: string;
  namespace?: string;
  generateName?: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
  generation?: number;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }>;
  finalizers?: string[];
}

/** Any stored object, in wire form. */
export interface FakeObject {
  apiVersion: string;
  kind: string;
  metadata: FakeObjectMeta;
  // Loose on purpose (see file comment): spec/status/data differ per kind.
  spec?: any;
  status?: any;
  [field: string]: any;
}

export interface FakeNode {
  name: string;
  /** CPU as a Kubernetes quantity, e.g. "4" or "3500m". */
  cpu: string;
  /** Memory as a Kubernetes quantity, e.g. "16Gi". */
  memory: string;
  labels?: Record<string, string>;
}

/** Which pods a pod-level fault hits. All given fields must match; none given matches every pod. */
export interface PodMatch {
  /** Job name (label batch.kubernetes.io/job-name). */
  job?: string;
  /** Completion index of an Indexed Job's pod. */
  podIndex?: number;
  /** How many pods the fault hits before it is used up. Default: unlimited. */
  times?: number;
}

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/**
 * Fault injection, as a tagged union. Each fault stays active until used up (`times`) or
 * `clearFaults()`: pod faults and 'forbidden' default to unlimited, 'status', 'watch-drop' and
 * 'watch-gone' to once. See README.md for what each looks like through the client.
 */
export type FaultSpec =
  /** Container OOM-killed: terminated.reason "OOMKilled". exitCode 137 (default; phase Failed, the process is SIGKILLed as it starts) or 0 (phase Succeeded: the process runs to the end, then the kill is reported). */
  | ({ kind: 'oom'; exitCode?: 137 | 0 } & PodMatch)
  /** Image cannot be pulled: waiting ErrImagePull then ImagePullBackOff, Warning events; the pod stays Pending. */
  | ({ kind: 'image-pull' } & PodMatch)
  /** Scheduler finds no node: PodScheduled False/Unschedulable, Warning FailedScheduling; stays Pending. */
  | ({ kind: 'unschedulable'; message?: string } & PodMatch)
  /** Container exits with this code without running anything (log = `log`): e.g. caplab's bad-config exit 3. */
  | ({ kind: 'exit'; exitCode: number; log?: string } & PodMatch)
  /** Pod preempted once Running: condition DisruptionTarget (reason PreemptionByScheduler), killed, phase Failed, exit 137. */
  | ({ kind: 'disruption' } & PodMatch)
  /** 403 Forbidden Status for this verb on this resource (plural, e.g. "jobs"; "*" = any). Also makes SelfSubjectAccessReview deny it. */
  | { kind: 'forbidden'; verb: Verb | '*'; resource: string; times?: number }
  /** Any other error Status (e.g. 500 InternalError, 429 TooManyRequests with Retry-After: 1). */
  | { kind: 'status'; verb: Verb | '*'; resource: string; code: number; reason?: string; message?: string; times?: number }
  /**
   * The server drops a watch on `resource` (default any) after it has sent `afterEvents` events
   * (default 0). mode 'reset' (default) destroys the socket mid-stream (the client sees an error);
   * 'end' ends the response cleanly, like an apiserver watch timeout.
   */
  | { kind: 'watch-drop'; resource?: string; afterEvents?: number; mode?: 'reset' | 'end'; times?: number }
  /**
   * 410 Gone on a watch: an ERROR event carrying Status {code 410, reason Expired} then the
   * stream ends, as an apiserver does for a too-old resourceVersion. when 'next-watch' (default):
   * the next watch request that names a resourceVersion; 'now': every open watch on `resource`.
   */
  | { kind: 'watch-gone'; resource?: string; when?: 'next-watch' | 'now'; times?: number }
  /**
   * Someone deletes the Job from outside once `afterPodsFinished` of its pods have finished
   * (default 0: as soon as its first pod is Running). propagationPolicy default 'Background'.
   */
  | { kind: 'delete-job'; job?: string; afterPodsFinished?: number; propagationPolicy?: 'Background' | 'Foreground' | 'Orphan' };

/** What the simulated kubelet does with a container (mode 'simulated'). */
export interface SimulatedOutcome {
  exitCode: number;
  /** Written to the container log (stdout+stderr). */
  log?: string;
}

/** Attributes of a SelfSubjectAccessReview (spec.resourceAttributes). */
export interface AccessAttributes {
  verb: string;
  resource: string;
  group?: string;
  namespace?: string;
  subresource?: string;
  name?: string;
}

/** A container as the pod runner resolves it into a local command. */
export interface ResolvedCommand {
  file: string;
  args: string[];
}

export interface FakeClusterOptions {
  /** Nodes with their allocatable CPU and memory. Default: 3 nodes with 4 CPU / 16Gi. */
  nodes?: FakeNode[];
  /** Namespace of the kubeconfig context. Default: 'caplab'. */
  namespace?: string;
  /** Pre-create `namespace` (with 'default' and 'kube-system'). Default: true. */
  createNamespace?: boolean;
  /** 'process' runs each container as a local process; 'simulated' runs nothing. Default: 'process'. */
  mode?: 'process' | 'simulated';
  /** Repository root, for the `caplab` command (bin/caplab.js). Default: two folders above this file. */
  repoRoot?: string;
  /** Faults active from the start. Default: none. */
  faults?: FaultSpec[];
  /** Answers SelfSubjectAccessReviews. Default: allowed unless a 'forbidden' fault matches. */
  accessReview?: (attrs: AccessAttributes) => boolean;
  /**
   * Mode 'simulated': what each container does. Return 'hold' to keep it Running until
   * `finishPod`. Default: exit 0 with the log line {"pod": name, "index": completion index}.
   */
  simulate?: (pod: FakeObject, containerName: string) => SimulatedOutcome | 'hold';
  /**
   * Mode 'process': maps a container to a local command. Return undefined to use the default:
   * `caplab …` → node bin/caplab.js …; `node …` → this Node; no command and an image named like
   * caplab → `caplab worker …args`; anything else runs as is from PATH.
   */
  resolveCommand?: (container: any, pod: FakeObject) => ResolvedCommand | undefined;
  /** Host environment passed to every process under the pod's env. Default: PATH, HOME, TMPDIR, LANG, NODE_OPTIONS if set. */
  baseEnv?: Record<string, string>;
  /** Port to listen on (127.0.0.1). Default: 0 (random). */
  port?: number;
  /** Where to write the kubeconfig. Default: a file in a fresh temp folder (removed by close()). */
  kubeconfigPath?: string;
  /** Pause between pod lifecycle steps, to watch a demo unfold. Default: 0 (next tick). */
  stepDelayMs?: number;
  /** Watch events kept for resuming watches; older resourceVersions get 410 Gone. Default: 2000. */
  watchCacheSize?: number;
  /** Reported by GET /version. Default: 'v1.33.1'. */
  serverVersion?: string;
  /**
   * Refuse pods whose serviceAccountName does not exist (403, and Warning FailedCreate on their
   * Job), as the ServiceAccount admission plugin does. Default: false (true is what clusters do).
   */
  requireServiceAccounts?: boolean;
  /** ServiceAccounts to create in `namespace` at start, besides "default". Default: none. */
  serviceAccounts?: string[];
}

export interface RequestRecord {
  method: string;
  path: string;
  query: string;
  status: number;
}

/** Read-only snapshots of what is stored, in wire form. Each access returns fresh copies. */
export interface FakeState {
  readonly jobs: FakeObject[];
  readonly pods: FakeObject[];
  readonly configMaps: FakeObject[];
  readonly services: FakeObject[];
  readonly persistentVolumeClaims: FakeObject[];
  readonly namespaces: FakeObject[];
  readonly nodes: FakeObject[];
  readonly events: FakeObject[];
  readonly serviceAccounts: FakeObject[];
  readonly roles: FakeObject[];
  readonly roleBindings: FakeObject[];
  /** Any resource by plural name ("jobs", "pods", …). */
  list(resource: string, namespace?: string): FakeObject[];
  get(resource: string, name: string, namespace?: string): FakeObject | undefined;
  /** A pod's log, per container (first container by default). */
  log(podName: string, container?: string, namespace?: string): string;
}

export interface FakeCluster {
  /** http://127.0.0.1:PORT */
  url: string;
  kubeconfigPath: string;
  contextName: string;
  namespace: string;
  /** Bearer token the kubeconfig carries (requests without it get 401). */
  token: string;
  /** The user name in Forbidden messages and SelfSubjectAccessReviews. */
  userName: string;
  state: FakeState;
  /** Every request, in order. */
  requests: RequestRecord[];
  inject(fault: FaultSpec): void;
  clearFaults(): void;
  /**
   * Resolves with the predicate's first truthy value, re-checked on every state change (no
   * polling). Rejects after timeoutMs (default 10000) naming `what`.
   */
  waitFor<T>(predicate: (state: FakeState) => T | undefined | null | false, timeoutMs?: number, what?: string): Promise<T>;
  /** Mode 'simulated': ends a held container (all containers of the pod when container is omitted). */
  finishPod(podName: string, outcome: SimulatedOutcome, namespace?: string): void;
  /** Deletes a Job as someone else would (kubectl delete job). Default policy: Background. */
  deleteJob(name: string, propagationPolicy?: 'Background' | 'Foreground' | 'Orphan', namespace?: string): void;
  /** Drops the watch history: every watch resuming from an older resourceVersion gets 410 Gone. */
  compact(): void;
  /** Stops processes, ends watches, closes the server, removes the temp folder. */
  close(): Promise<void>;
}
