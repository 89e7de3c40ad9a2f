import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerArgv, imageKind } from '../k8s/local/node/command.ts';

test('a process node has exactly the worker image this checkout builds, under any registry, and node images', () => {
  assert.equal(imageKind('caplab:0.1.0', '0.1.0'), 'caplab');
  assert.equal(imageKind('registry.example:5000/me/caplab:0.1.0', '0.1.0'), 'caplab');
  assert.equal(imageKind('nowhere.example/caplab:missing', '0.1.0'), undefined);
  assert.equal(imageKind('caplab', '0.1.0'), undefined, 'latest is another image');
  assert.equal(imageKind('node:24-slim', '0.1.0'), 'node');
  assert.equal(imageKind('busybox:1', '0.1.0'), undefined);
});

test("the worker image without a command runs its ENTRYPOINT `caplab worker`; command and args expand $(VAR)", () => {
  assert.deepEqual(containerArgv({ image: 'caplab:0.1.0', args: ['--x'] }, {}), ['caplab', 'worker', '--x']);
  assert.deepEqual(containerArgv({ image: 'node:24', command: ['node', '$(SCRIPT)'], args: ['$$(KEEP)'] }, { SCRIPT: 'a.js' }), ['node', 'a.js', '$(KEEP)']);
});
