import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_BAD_CONFIG } from '../lib/errors.ts';
import { classifyExit, findResultLine, parseWorkerLine, resultFileName } from '../lib/spec/protocol.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'caplab.js');

function worker(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, 'worker', ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  const lines = r.stdout.trim().split('\n');
  return { code: r.status, lines, last: r.stdout.trim() ? JSON.parse(lines[lines.length - 1]) : null, stderr: r.stderr };
}

test('runs a spec given as --spec-json and prints progress lines, then the result as the last line', () => {
  const r = worker(['--spec-json', JSON.stringify({ id: 'a', kind: 'noop', payload: { curve: [3, 2] } })]);
  assert.equal(r.code, 0);
  assert.deepEqual(r.lines.slice(0, -1).map((l) => parseWorkerLine(l)?.caplab), ['progress', 'progress']);
  assert.equal(r.last.caplab, 'result');
  assert.equal(r.last.id, 'a');
  assert.equal(r.last.status, 'ok');
  assert.equal(r.last.result.epochs, 2);
  assert.equal(r.last.provenance.executor, 'inline');
});

test('picks its spec from a specs file by --index, or by JOB_COMPLETION_INDEX from CAPLAB_SPECS, and writes --result-dir', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'caplab-worker-'));
  try {
    const specs = [0, 1, 2].map((i) => ({ id: `s/${i}`, kind: 'noop', payload: {} }));
    await writeFile(join(dir, 'specs.json'), JSON.stringify(specs));
    assert.equal(worker(['--specs-file', join(dir, 'specs.json'), '--index', '1']).last.id, 's/1');
    const fromEnv = worker(['--result-dir', join(dir, 'results')], { CAPLAB_SPECS: JSON.stringify(specs), JOB_COMPLETION_INDEX: '2', CAPLAB_EXECUTOR: 'kubernetes' });
    assert.equal(fromEnv.last.id, 's/2');
    assert.equal(fromEnv.last.provenance.executor, 'kubernetes');
    const file = JSON.parse(await readFile(join(dir, 'results', resultFileName('s/2')), 'utf8'));
    assert.equal(resultFileName('s/2'), 's_2.json');
    assert.equal(file.status, 'ok');
    const out = worker(['--specs-file', join(dir, 'specs.json'), '--index', '3']);
    assert.equal(out.code, 2);
    assert.match(out.stderr, /index 3 is out of range/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('exits with the bad-config code for a config that can never succeed, and 1 for other failures', () => {
  const bad = worker(['--spec-json', JSON.stringify({ id: 'b', kind: 'noop', payload: { fail: 'bad-config' } })]);
  assert.equal(bad.code, EXIT_BAD_CONFIG);
  assert.equal(bad.last.failure, 'bad-config');
  const unknownKind = worker(['--spec-json', JSON.stringify({ id: 'k', kind: 'nonsense', payload: {} })]);
  assert.equal(unknownKind.code, EXIT_BAD_CONFIG);
  assert.match(unknownKind.last.reason, /Unknown spec kind "nonsense"/);
  const thrown = worker(['--spec-json', JSON.stringify({ id: 'c', kind: 'noop', payload: { fail: true } })]);
  assert.equal(thrown.code, 1);
  assert.equal(thrown.last.status, 'failed');
  assert.match(thrown.last.reason, /asked to fail/);
});

test('finds the result line in a log with noise after it, and ignores lines that are not the protocol', () => {
  const log = ['hello', '{"caplab":"progress","id":"x","data":{"epoch":1}}', '{"caplab":"result","id":"x","status":"ok","result":1}', 'Warning: something at exit', '{"caplab":"result","id":"x","status":'].join('\n');
  assert.equal(findResultLine(log)?.result, 1);
  assert.equal(findResultLine(log, 'y'), null);
  assert.equal(parseWorkerLine('{"caplab":"result","id":"x","status":"maybe"}'), null);
  assert.equal(parseWorkerLine('{"id":"x"}'), null);
  assert.equal(parseWorkerLine('not json {"caplab"'), null);
});

test('classifies a worker that died without a result line', () => {
  assert.equal(classifyExit({ code: null, signal: 'SIGKILL' }).failure, 'oom');
  assert.equal(classifyExit({ code: null, signal: 'SIGABRT', stderr: 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory' }).failure, 'oom');
  assert.equal(classifyExit({ code: EXIT_BAD_CONFIG, signal: null, badConfigCode: EXIT_BAD_CONFIG }).failure, 'bad-config');
  const crash = classifyExit({ code: 70, signal: null, stderr: 'Error: boom\n    at x (y.ts:1:1)\n' });
  assert.equal(crash.failure, 'crash');
  assert.match(crash.reason!, /code 70: Error: boom/);
});

test('a worker stopped by SIGTERM from outside (a pod deleted or preempted) prints its stopped result and exits 143, so a Job replaces the pod', async () => {
  const { spawn } = await import('node:child_process');
  // A curve keeps the spec running long enough to be signalled after its first progress line.
  const child = spawn(process.execPath, [BIN, 'worker', '--spec-json', JSON.stringify({ id: 't', kind: 'noop', payload: { curve: [5, 4, 3, 2, 1], stepMs: 2000 } })], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  const progressed = new Promise<void>((resolve) => child.stdout.on('data', (c: string) => {
    out += c;
    if (out.includes('"progress"')) resolve();
  }));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await progressed;
  child.kill('SIGTERM');
  const code = await exited;
  const last = parseWorkerLine(out.trim().split('\n').at(-1)!);
  assert.equal(last?.caplab, 'result');
  assert.equal(last?.caplab === 'result' && last.status, 'stopped');
  assert.equal(code, 143, 'exit 128 + SIGTERM, as a process that signal killed');
});
