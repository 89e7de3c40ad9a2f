import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podTrialState, podIndex } from '../lib/cluster/index.ts';

type Pod = Parameters<typeof podTrialState>[0];

function pod(status: Record<string, unknown>, limit = '512Mi'): Pod {
  return {
    metadata: { name: 'p', annotations: { 'batch.kubernetes.io/job-completion-index': '4' } },
    spec: { containers: [{ name: 'worker', image: 'img:1', resources: { limits: { memory: limit } } }] },
    status,
  } as unknown as Pod;
}

const terminated = (t: Record<string, unknown>, phase: string, extra: Record<string, unknown> = {}) =>
  pod({ phase, containerStatuses: [{ name: 'worker', state: { terminated: t } }], ...extra });

test('an OOMKilled container is an oom failure with the memory limit, read from the reason', () => {
  const st = podTrialState(terminated({ reason: 'OOMKilled', exitCode: 137 }, 'Failed'));
  assert.equal(st.state, 'failed');
  assert.equal(st.state === 'failed' && st.failure, 'oom');
  assert.match(st.state === 'failed' ? st.reason : '', /OOMKilled: pod memory limit 512Mi/);
});

test('OOMKilled with exit code 0 and phase Succeeded is still an oom failure', () => {
  const st = podTrialState(terminated({ reason: 'OOMKilled', exitCode: 0 }, 'Succeeded'));
  assert.equal(st.state === 'failed' && st.failure, 'oom');
});

test('exit 137 without the OOMKilled reason is a crash, not an oom', () => {
  const st = podTrialState(terminated({ reason: 'Error', exitCode: 137 }, 'Failed'));
  assert.equal(st.state === 'failed' && st.failure, 'crash');
  assert.match(st.state === 'failed' ? st.reason : '', /Error: exit code 137/);
});

test('the bad-config exit code is a bad-config failure; exit 0 is success', () => {
  assert.equal((podTrialState(terminated({ reason: 'Error', exitCode: 3 }, 'Failed')) as { failure: string }).failure, 'bad-config');
  assert.equal(podTrialState(terminated({ reason: 'Completed', exitCode: 0 }, 'Succeeded')).state, 'succeeded');
});

test('a disrupted pod is marked so the Job retry is not mistaken for a final failure', () => {
  const st = podTrialState(terminated({ reason: 'Error', exitCode: 137 }, 'Failed', { conditions: [{ type: 'DisruptionTarget', status: 'True' }] }));
  assert.equal(st.state === 'failed' && st.disrupted, true);
});

test('ImagePullBackOff and Unschedulable are stuck states with their messages', () => {
  const pull = podTrialState(pod({ phase: 'Pending', containerStatuses: [{ name: 'worker', image: 'img:1', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "img:1"' } } }] }));
  assert.deepEqual(pull, { state: 'stuck', failure: 'image-pull', reason: 'ImagePullBackOff', message: 'Back-off pulling image "img:1"' });
  const sched = podTrialState(pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient memory.' }] }));
  assert.deepEqual(sched, { state: 'stuck', failure: 'unschedulable', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient memory.' });
});

test('a pod creating its container is pending, one with a running container is running', () => {
  const st = podTrialState(pod({ phase: 'Pending', containerStatuses: [{ name: 'worker', state: { waiting: { reason: 'ContainerCreating' } } }] }));
  assert.equal(st.state, 'pending');
  assert.equal(podTrialState(pod({ phase: 'Running', containerStatuses: [{ name: 'worker', state: { running: { startedAt: '2026-01-01T00:00:00Z' } } }] })).state, 'running');
});

test('the completion index comes from the pod annotation', () => {
  assert.equal(podIndex(pod({})), 4);
  assert.equal(podIndex({ metadata: { name: 'x' } } as unknown as Pod), -1);
});

test('failed and completed index lists of a Job status parse into sets, the empty list into none', async () => {
  const { parseIndexes } = await import('../lib/exec/kubernetes-supervise.ts');
  assert.deepEqual([...parseIndexes('1,3-5')], [1, 3, 4, 5]);
  assert.deepEqual([...parseIndexes('')], []);
  assert.deepEqual([...parseIndexes(undefined)], []);
});
