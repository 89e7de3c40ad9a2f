/**
 * The search-Job supervisor's rules, one table row per situation: Job, Pod and Event fixtures in,
 * the actions reconcile asks for out. No cluster, no clock: the time is a field of the snapshot.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXIT_BAD_CONFIG } from '../lib/errors.ts';
import { asked, jobsListed, newState, podsListed, type Action, type State } from '../lib/exec/kubernetes-observed.ts';
import { JOB_FAILED_SETTLE_MS } from '../lib/exec/kubernetes-reconcile-job.ts';
import {
  JOB, T0, drive, endedPod, failedCreate, failedJob, job, kinds, observe, pendingPod, podWarning, resultLog, runningPod, settles,
  specs, submittedState, unschedulablePod, waitingPod, withPods,
} from './helpers/kube-fixtures.ts';

const outcome = (actions: Action[]) => settles(actions).map((a) => [a.result.id, a.result.status, a.result.failure]);

test('submits once the watches are open, and judges no pod before the submit went through', () => {
  const s = newState(specs(1), { name: JOB, namespace: 'caplab', retries: 0, unschedulableGraceMs: 1, createFailedGraceMs: 1, followLogs: true });
  // A pod of the same name that existed before (another submission): not ours to judge yet.
  withPods(s, endedPod(0, { exitCode: 0 }));
  assert.deepEqual(observe(s), [], 'watches still opening');
  s.submit = 'ready';
  assert.deepEqual(observe(s), [{ kind: 'submit' }]);
  s.submit = 'submitting';
  assert.deepEqual(observe(s), []);
  s.submit = 'submitted';
  assert.deepEqual(kinds(observe(s)), ['started', 'read-log']);
});

test('a succeeded pod\'s log becomes the result: status, result, times and worker from its result line', () => {
  const s = withPods(submittedState(2), endedPod(0, { exitCode: 0 }));
  const actions = drive(s, { logs: { [`${JOB}-0-a`]: resultLog('t0', 'ok', { result: { loss: 0.5 } }) } });
  assert.deepEqual(kinds(actions), ['started', 'read-log', 'settle']);
  const [settled] = settles(actions);
  assert.deepEqual(settled.result, {
    id: 't0', status: 'ok', result: { loss: 0.5 }, worker: `${JOB}-0-a`,
    startedAt: '2026-12-01T10:00:01.100Z', finishedAt: '2026-12-01T10:00:02.900Z', seconds: 1.8,
  });
  assert.equal(settled.pod?.metadata?.name, `${JOB}-0-a`, 'the pod goes with the result, for its provenance');
});

for (const row of [
  { exitCode: 137, phase: 'Failed' as const, retries: 0 },
  // Exit 0 leaves phase Succeeded: the Job will not retry it, whatever retries are left.
  { exitCode: 0, phase: 'Succeeded' as const, retries: 2 },
]) {
  test(`OOMKilled with exit ${row.exitCode} (phase ${row.phase}) is an 'oom' failure read from the reason, over the worker's own result line`, () => {
    const s = withPods(submittedState(1, { retries: row.retries }), endedPod(0, { exitCode: row.exitCode, reason: 'OOMKilled', phase: row.phase }));
    const actions = drive(s, { logs: { [`${JOB}-0-a`]: resultLog('t0', 'ok', { result: { partial: true } }) } });
    const [settled] = settles(actions);
    assert.deepEqual([settled.result.status, settled.result.failure], ['failed', 'oom']);
    assert.equal(settled.result.reason, `OOMKilled: pod memory limit 512Mi (exit code ${row.exitCode})`);
    assert.deepEqual(settled.result.result, { partial: true });
  });
}

test('exit 137 without the OOMKilled reason is a crash, and waits while the Job has a retry left', () => {
  const s = withPods(submittedState(1, { retries: 1 }), endedPod(0, { exitCode: 137 }));
  assert.deepEqual(kinds(observe(s)), ['started']);
  withPods(s, endedPod(0, { exitCode: 137 }, { name: `${JOB}-0-b`, created: 5000 }));
  const [settled] = settles(drive(s));
  assert.deepEqual([settled.result.failure, settled.result.worker], ['crash', `${JOB}-0-b`]);
  assert.match(settled.result.reason!, /Error: exit code 137/);
});

for (const row of [
  { name: 'caplab\'s bad-config exit (the podFailurePolicy\'s FailIndex) ends the spec at once', pods: [{ exitCode: EXIT_BAD_CONFIG, message: 'hidden must be positive' }], failedIndexes: undefined, reads: true },
  { name: 'another exit with retries left waits for the Job\'s retry', pods: [{ exitCode: 1 }], failedIndexes: undefined, reads: false },
  { name: 'an index the Job lists in failedIndexes is final, retries or not', pods: [{ exitCode: 1 }], failedIndexes: '0,2-3', reads: true },
  { name: 'the third counted failure with two retries is final', pods: [{ exitCode: 1 }, { exitCode: 1 }, { exitCode: 2 }], failedIndexes: undefined, reads: true },
  { name: 'a preempted pod uses no retry', pods: [{ exitCode: 1 }, { exitCode: 1 }, { exitCode: 143, disrupted: true }], failedIndexes: undefined, reads: false },
]) {
  test(`retries: ${row.name}`, () => {
    const s = submittedState(4, { retries: 2 });
    s.job = job(row.failedIndexes ? { failedIndexes: row.failedIndexes } : {});
    row.pods.forEach((p, k) => withPods(s, endedPod(0, p, { name: `${JOB}-0-${k}`, created: k * 1000 })));
    const reads = observe(s).filter((a) => a.kind === 'read-log');
    assert.deepEqual(reads.map((a) => a.kind === 'read-log' && a.pod.metadata?.name), row.reads ? [`${JOB}-0-${row.pods.length - 1}`] : []);
  });
}

test('the bad-config exit settles as bad-config with the container\'s message', () => {
  const s = withPods(submittedState(1, { retries: 2 }), endedPod(0, { exitCode: EXIT_BAD_CONFIG, message: 'hidden must be positive' }));
  const [settled] = settles(drive(s));
  assert.deepEqual([settled.result.status, settled.result.failure], ['failed', 'bad-config']);
  assert.match(settled.result.reason!, /rejected its spec \(exit code 3\): hidden must be positive/);
});

test('a failed pod whose replacement is already running waits for the replacement', () => {
  const s = withPods(submittedState(1), endedPod(0, { exitCode: 1 }), runningPod(0, { name: `${JOB}-0-b`, created: 5000 }));
  s.job = failedJob('BackoffLimitExceeded', 'gave up');
  assert.deepEqual(kinds(observe(s)).filter((k) => k === 'read-log'), []);
});

test('a pod that exits 0 without a result line, or whose log cannot be read, is a crash that says so', () => {
  const s = withPods(submittedState(2), endedPod(0, { exitCode: 0 }), endedPod(1, { exitCode: 0 }));
  for (const a of observe(s)) asked(s, a);
  s.reads.set(0, { ...s.reads.get(0)!, log: 'no protocol here\n' });
  s.reads.set(1, { ...s.reads.get(1)!, log: '', error: 'connection reset' });
  const byId = Object.fromEntries(settles(observe(s)).map((a) => [a.result.id, a.result]));
  assert.deepEqual([byId.t0.failure, byId.t0.reason], ['crash', 'the pod exited 0 without printing a result line']);
  assert.deepEqual([byId.t1.failure, byId.t1.reason], ['crash', `could not read the result of pod ${JOB}-1-a: connection reset`]);
});

test('a Job past its deadline ends specs with retries left as timeouts (the Job controller killed their pods), and after a short wait those that never got a pod', () => {
  const s = withPods(submittedState(3, { retries: 2 }), endedPod(0, { exitCode: 1 }), endedPod(1, { exitCode: 0 }));
  s.job = failedJob('DeadlineExceeded', 'Job was active longer than specified deadline');
  const first = drive(s);
  assert.deepEqual(outcome(first), [['t0', 'failed', 'timeout'], ['t1', 'failed', 'timeout']]);
  assert.equal(settles(first)[0].result.reason, "The Job's deadline passed (activeDeadlineSeconds): Job was active longer than specified deadline");
  assert.deepEqual(first.at(-1), { kind: 'requeue', afterMs: JOB_FAILED_SETTLE_MS }, 't2 may still get a pod on the watch');
  const later = drive(s, {}, T0 + JOB_FAILED_SETTLE_MS);
  assert.deepEqual(outcome(later), [['t2', 'failed', 'timeout']]);
  assert.equal(settles(later)[0].result.reason, `Job ${JOB} failed (DeadlineExceeded) before this spec ran: Job was active longer than specified deadline`);
});

test('an image that cannot be pulled fails every open spec at once with the kubelet\'s message, and deletes the Job', () => {
  const s = withPods(submittedState(3), waitingPod(0, 'ImagePullBackOff', 'Back-off pulling image', { image: 'nowhere.example/caplab:missing' }), pendingPod(1));
  s.settled.add(2);
  const first = observe(s);
  assert.deepEqual(first, [{ kind: 'read-pod-events', key: `cannot-start/${JOB}-0-a`, pod: `${JOB}-0-a` }]);
  const actions = drive(s, { events: { [`${JOB}-0-a`]: { warning: podWarning('Failed to pull image "nowhere.example/caplab:missing": not found'), scaleUp: false } } });
  assert.deepEqual(outcome(actions), [['t0', 'failed', 'image-pull'], ['t1', 'failed', 'image-pull']]);
  assert.equal(settles(actions)[0].result.reason, 'ImagePullBackOff: image nowhere.example/caplab:missing cannot be pulled — Failed to pull image "nowhere.example/caplab:missing": not found');
  assert.ok(kinds(actions).includes('delete-job'));
});

test('a container the kubelet cannot create fails fast as bad-config, in the pod\'s own words when no event says more', () => {
  const s = withPods(submittedState(1), waitingPod(0, 'CreateContainerConfigError', 'configmap "x" not found'));
  const [settled] = settles(drive(s));
  assert.deepEqual([settled.result.failure, settled.result.reason], ['bad-config', 'CreateContainerConfigError: the pod cannot start — configmap "x" not found']);
});

test('Unschedulable pods fail after the grace with the scheduler\'s message and the pods\' requests, and the Job is deleted', () => {
  const grace = 15_000;
  const s = withPods(submittedState(2), unschedulablePod(0, '0/3 nodes are available: 3 Insufficient memory.', { memory: '64Gi' }), unschedulablePod(1, 'same', { memory: '64Gi' }));
  assert.deepEqual(drive(s), [{ kind: 'mark', marks: { unschedulableSince: T0 } }, { kind: 'requeue', afterMs: grace }]);
  assert.deepEqual(drive(s, {}, T0 + 4000), [{ kind: 'requeue', afterMs: grace - 4000 }]);
  const due = drive(s, { events: { [`${JOB}-0-a`]: { warning: podWarning('0/3 nodes are available: 3 Insufficient memory.'), scaleUp: false } } }, T0 + grace);
  assert.equal(due[0].kind, 'read-pod-events');
  assert.deepEqual(outcome(due), [['t0', 'failed', 'unschedulable'], ['t1', 'failed', 'unschedulable']]);
  assert.equal(settles(due)[0].result.reason, 'Unschedulable: no node can take a pod asking for 1 CPU and 64Gi memory — 0/3 nodes are available: 3 Insufficient memory.');
  assert.ok(kinds(due).includes('delete-job'));
});

test('Unschedulable pods wait while a pod of the Job holds a node (it will free room), and while the autoscaler adds one', () => {
  const s = withPods(submittedState(2), unschedulablePod(0, 'Insufficient cpu'), runningPod(1));
  s.marks = { unschedulableSince: T0 };
  const holding = observe(s, T0 + 60_000);
  assert.deepEqual(holding.filter((a) => a.kind === 'mark'), [{ kind: 'mark', marks: {} }]);
  assert.deepEqual(outcome(holding), []);

  const t = withPods(submittedState(1), unschedulablePod(0, 'Insufficient cpu'));
  t.marks = { unschedulableSince: T0 };
  const scaling = drive(t, { events: { [`${JOB}-0-a`]: { scaleUp: true } } }, T0 + 15_000);
  assert.deepEqual(outcome(scaling), []);
  assert.deepEqual(scaling.filter((a) => a.kind !== 'read-pod-events'), [
    { kind: 'message', text: `Pods of ${JOB} wait for the cluster autoscaler to add a node.` },
    { kind: 'mark', marks: { unschedulableSince: T0 + 15_000 } },
    { kind: 'requeue', afterMs: 15_000 },
  ]);
});

test('pods the API server refuses fail the specs as create-failed after the grace: the Job is deleted first, then the results come', () => {
  const s = submittedState(2);
  s.job = job();
  s.jobEvents.set('e1', failedCreate('pods "x-0-" is forbidden: error looking up service account caplab/caplab-worker: serviceaccount "caplab-worker" not found'));
  assert.deepEqual(drive(s), [{ kind: 'mark', marks: { createFailed: { state: 'armed', at: T0, podsSeen: 0 } } }, { kind: 'requeue', afterMs: 5000 }]);
  assert.deepEqual(drive(s, {}, T0 + 4999), [{ kind: 'requeue', afterMs: 1 }]);
  const due = observe(s, T0 + 5000);
  assert.deepEqual(kinds(due), ['delete-job', 'mark'], 'no result before the Job is gone');
  for (const a of due) asked(s, a);
  s.jobDelete = 'done';
  const after = observe(s, T0 + 5100);
  assert.deepEqual(outcome(after), [['t0', 'failed', 'create-failed'], ['t1', 'failed', 'create-failed']]);
  assert.match(settles(after)[0].result.reason!, /^FailedCreate: Job caplab-grid-1a2b3c4d cannot create its pods — pods "x-0-" is forbidden.*serviceaccount "caplab-worker" not found\. The worker ServiceAccount is missing: set up the namespace with `npm run deploy`/);
});

test('a refusal followed by progress (pods created) is judged once; only a new refusal arms the grace again', () => {
  const s = submittedState(2);
  s.job = job();
  s.jobEvents.set('e1', failedCreate('exceeded quota', { resourceVersion: '10' }));
  drive(s);
  withPods(s, pendingPod(0));
  const judged = drive(s, {}, T0 + 5000);
  assert.deepEqual(judged, [{ kind: 'mark', marks: { createFailed: { state: 'idle', seen: ['ev-1@10'] } } }]);
  assert.deepEqual(drive(s, {}, T0 + 20_000), [], 'the same refusal does not arm again');
  s.jobEvents.set('e1', failedCreate('exceeded quota', { resourceVersion: '11' }));
  assert.deepEqual(kinds(drive(s, {}, T0 + 21_000)), ['mark', 'requeue'], 'a repeat of the refusal arms again');
});

test('a FailedCreate of an older Job with the same name (another uid) is not ours', () => {
  const s = submittedState(1);
  s.job = job({}, 'job-uid-2');
  s.jobEvents.set('e1', failedCreate('forbidden', { uid: 'job-uid-1' }));
  assert.deepEqual(drive(s, {}, T0 + 60_000), []);
});

test('a Job deleted from outside keeps what the pods told and fails the rest with the reason; our own delete does not', () => {
  const s = withPods(submittedState(3), endedPod(0, { exitCode: 0 }), runningPod(1));
  s.jobState = 'gone';
  const actions = drive(s, { logs: { [`${JOB}-0-a`]: resultLog('t0', 'ok') } });
  assert.deepEqual(outcome(actions), [['t1', 'failed', 'cancelled'], ['t2', 'failed', 'cancelled'], ['t0', 'ok', undefined]]);
  assert.match(settles(actions)[0].result.reason!, /deleted from outside caplab \(kubectl delete, or its TTL\).*run again \(resume\)/);
  assert.equal(settles(actions)[0].result.worker, `${JOB}-1-a`);

  const ours = withPods(submittedState(1), runningPod(0));
  ours.jobState = 'gone';
  ours.jobDelete = 'done';
  assert.deepEqual(outcome(drive(ours)), []);
});

test('after 410 Gone the re-list is the truth: pods missing from it were deleted, the Job missing after submit is gone, and the listed states alone give the verdicts', () => {
  const s = withPods(submittedState(3), runningPod(0), runningPod(1), runningPod(2));
  s.job = job();
  s.jobState = 'present';
  s.started = new Set([0, 1, 2]);
  // While the watch was down: pod 0 finished, pod 1 was OOM-killed, pod 2 was deleted.
  podsListed(s, [endedPod(0, { exitCode: 0 }), endedPod(1, { exitCode: 137, reason: 'OOMKilled' })]);
  assert.deepEqual([...s.pods.keys()], [`${JOB}-0-a`, `${JOB}-1-a`]);
  assert.deepEqual([...s.deletedPods.keys()], [`${JOB}-2-a`]);
  const actions = drive(s, { logs: { [`${JOB}-0-a`]: resultLog('t0', 'ok') } });
  assert.deepEqual(outcome(actions), [['t0', 'ok', undefined], ['t1', 'failed', 'oom']]);

  jobsListed(s, []);
  assert.equal(s.jobState, 'gone');
  assert.deepEqual(outcome(drive(s)), [['t2', 'failed', 'cancelled']]);

  const early = newState(specs(1), s.config);
  jobsListed(early, []);
  assert.equal(early.jobState, 'unseen', 'before the submit, no Job is not a deleted Job');
});

test('a cancel wins over pod verdicts: the Job is deleted first, then every open spec is stopped, whatever its pod said', () => {
  const s = withPods(submittedState(4), endedPod(0, { exitCode: 0 }), endedPod(1, { exitCode: 137, reason: 'OOMKilled' }), waitingPod(2, 'ImagePullBackOff', 'x'), runningPod(3));
  s.reads.set(3, { pod: runningPod(3) });
  s.cancel = true;
  assert.deepEqual(observe(s), [{ kind: 'delete-job' }]);
  s.jobDelete = 'running';
  assert.deepEqual(observe(s), []);
  s.jobDelete = 'done';
  const actions = observe(s);
  assert.deepEqual(outcome(actions), [['t0', 'stopped', 'cancelled'], ['t1', 'stopped', 'cancelled'], ['t2', 'stopped', 'cancelled']], 't3\'s log read goes on and settles it');
  assert.equal(settles(actions)[0].result.reason, `cancelled: Job ${JOB} deleted (propagationPolicy Background)`);
  for (const a of actions) asked(s, a);
  s.reads.set(3, { pod: endedPod(3, { exitCode: 0 }), log: resultLog('t3', 'ok') });
  assert.deepEqual(outcome(observe(s)), [['t3', 'ok', undefined]]);
});

test('a cancel before the submit submits nothing; one during the submit waits for it, then deletes the Job', () => {
  const s = newState(specs(2), submittedState(1).config);
  s.submit = 'ready';
  s.cancel = true;
  const actions = observe(s);
  assert.deepEqual(outcome(actions), [['t0', 'stopped', 'cancelled'], ['t1', 'stopped', 'cancelled']]);
  assert.equal(settles(actions)[0].result.reason, 'not submitted: the run was cancelled');
  s.submit = 'submitting';
  assert.deepEqual(observe(s), []);
  s.submit = 'submitted';
  assert.deepEqual(observe(s), [{ kind: 'delete-job' }]);
});

test('a resume\'s Job holds only the missing specs: its pods are judged by their own index, the first run\'s pods not at all', () => {
  // The first run settled t0 and t1; the resume submits t2, t3 as a Job of its own (indexes 0, 1).
  const missing = specs(4).slice(2);
  const s = newState(missing, submittedState(1).config);
  s.submit = 'submitted';
  withPods(s,
    endedPod(0, { exitCode: 0 }, { job: 'caplab-grid-00000000' }),
    endedPod(1, { exitCode: 1 }, { job: 'caplab-grid-00000000' }),
    endedPod(0, { exitCode: 0 }),
    runningPod(1));
  const actions = drive(s, { logs: { [`${JOB}-0-a`]: resultLog('t2', 'ok') } });
  assert.deepEqual(outcome(actions), [['t2', 'ok', undefined]]);
  assert.deepEqual(actions.filter((a) => a.kind === 'read-log').map((a) => a.kind === 'read-log' && a.pod.metadata?.name), [`${JOB}-0-a`]);
});

test('an early stop deletes the spec\'s running pod once, and whatever the pod does next the spec is stopped early', () => {
  const s = withPods(submittedState(2), runningPod(0), runningPod(1));
  s.started = new Set([0, 1]);
  s.stopAsked.add(0);
  assert.deepEqual(drive(s), [{ kind: 'delete-pod', index: 0, pod: `${JOB}-0-a` }]);
  assert.deepEqual(drive(s), [], 'asked once');
  // SIGTERM: the worker died before it could print its 'stopped' line (exit 143, a crash by itself).
  withPods(s, endedPod(0, { exitCode: 143 }));
  const [settled] = settles(drive(s, { logs: { [`${JOB}-0-a`]: 'Terminated\n' } }));
  assert.deepEqual([settled.result.status, settled.result.failure, settled.result.reason], ['stopped', 'early-stop', 'stopped early: its pod was deleted on the search\'s request']);

  const gone = withPods(submittedState(1), runningPod(0));
  gone.stopAsked.add(0);
  gone.podDeletes.add(`${JOB}-0-a`);
  gone.deletedPods.set(`${JOB}-0-a`, gone.pods.get(`${JOB}-0-a`)!);
  gone.pods.clear();
  assert.deepEqual(outcome(drive(gone)), [['t0', 'stopped', 'early-stop']], 'a pod that vanished before showing an end');
});

test('a running pod is announced once (with its start time) and its log followed when someone listens', () => {
  const s = withPods(submittedState(1, { followLogs: true }), pendingPod(0));
  assert.deepEqual(observe(s), [], 'a pending pod has not started');
  withPods(s, runningPod(0));
  assert.deepEqual(drive(s), [
    { kind: 'follow', index: 0, pod: `${JOB}-0-a` },
    { kind: 'started', index: 0, worker: `${JOB}-0-a`, at: '2026-12-01T10:00:01.000Z' },
  ]);
  assert.deepEqual(drive(s), []);
  const quiet = withPods(submittedState(1), runningPod(0));
  assert.deepEqual(kinds(observe(quiet)), ['started'], 'no follow when nobody listens');
});

test('reconcile is idempotent: the same snapshot gives the same actions, and none once they are recorded', () => {
  const build = (): State => {
    const s = withPods(submittedState(4, { followLogs: true }), endedPod(0, { exitCode: 0 }), runningPod(1), endedPod(2, { exitCode: 137, reason: 'OOMKilled' }));
    s.job = job();
    return s;
  };
  const s = build();
  const once = observe(s);
  assert.deepEqual(observe(s), once);
  assert.deepEqual(once, observe(build()));
  for (const a of once) asked(s, a);
  assert.deepEqual(observe(s), []);
});

test('specs already settled are never judged again', () => {
  const s = withPods(submittedState(2), endedPod(0, { exitCode: 1 }), waitingPod(1, 'ImagePullBackOff', 'x'));
  s.settled = new Set([0, 1]);
  s.jobState = 'gone';
  s.job = failedJob('BackoffLimitExceeded', 'x');
  assert.deepEqual(observe(s, T0 + 60_000), []);
});

test('a Job that failed for another reason leaves its pods\' own verdicts', () => {
  const s = withPods(submittedState(2, { retries: 2 }), endedPod(0, { exitCode: 1 }), endedPod(1, { exitCode: 0 }));
  s.job = failedJob('BackoffLimitExceeded', 'Job has reached the specified backoff limit');
  assert.deepEqual(outcome(drive(s)), [['t0', 'failed', 'crash'], ['t1', 'failed', 'crash']]);
});
