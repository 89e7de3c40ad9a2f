import { test } from 'node:test';
import assert from 'node:assert/strict';
import { translate, type Mount } from '../k8s/local/node/volumes.ts';

const mounts: Mount[] = [{ mountPath: '/tmp', local: '/pods/p1/volumes/tmp' }];

test('a process node maps container paths under a mount to its folder, but never the worker image\'s own files (a checkout under /tmp still runs)', () => {
  assert.equal(translate('/tmp/scratch/a.npy', mounts, '/tmp/c'), '/pods/p1/volumes/tmp/scratch/a.npy');
  assert.equal(translate('--out=/tmp/x', mounts, '/tmp/c'), '--out=/pods/p1/volumes/tmp/x');
  assert.equal(translate('/tmp/c/bin/caplab.js', mounts, '/tmp/c'), '/tmp/c/bin/caplab.js');
  assert.equal(translate('--data=/tmp/c/data/base', mounts, '/tmp/c/'), '--data=/tmp/c/data/base');
  assert.equal(translate('/tmp/cc/file', mounts, '/tmp/c'), '/pods/p1/volumes/tmp/cc/file', 'a sibling folder is not inside the image');
  assert.equal(translate('/tmp/c/bin/caplab.js', mounts), '/pods/p1/volumes/tmp/c/bin/caplab.js', 'without an image root every path under the mount moves');
});
