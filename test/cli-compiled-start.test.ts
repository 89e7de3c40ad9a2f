// caplab starts from a compiled copy of lib/ named by the hash of the sources; a stale copy never runs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = join(import.meta.dirname, '..');
const MARK = 'ran-the-compiled-copy';
let copy: string;

before(() => {
  // A checkout of its own (lib, bin, package.json; the same dependencies), so builds and edits here touch nothing else.
  copy = mkdtempSync(join(tmpdir(), 'caplab-compiled-'));
  for (const part of ['lib', 'bin', 'package.json']) cpSync(join(REPO, part), join(copy, part), { recursive: true });
  symlinkSync(realpathSync(join(REPO, 'node_modules')), join(copy, 'node_modules'));
});
after(() => rmSync(copy, { recursive: true, force: true }));

function caplab(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(copy, 'bin', 'caplab.js'), ...args], { encoding: 'utf8', env: { ...process.env, CAPLAB_FROM_SOURCES: '', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, compiled: r.stdout.includes(MARK) };
}
const builds = () => (existsSync(join(copy, 'dist')) ? readdirSync(join(copy, 'dist')).filter((n) => /^runtime-[0-9a-f]+$/.test(n)).sort() : []);
const worker = (env: Record<string, string> = {}) => caplab(['worker', '--spec-json', JSON.stringify({ id: 'w', kind: 'noop', payload: {} })], env);

test('a worker never builds; the first command builds the copy it then starts from', () => {
  const w = worker();
  assert.equal(w.code, 0, w.stderr);
  assert.match(w.stdout, /"caplab":"result","id":"w","status":"ok"/);
  assert.deepEqual(builds(), [], 'the worker ran the sources and built nothing');
  const help = caplab(['--help']);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /usage: caplab <command>/);
  assert.equal(builds().length, 1);
  const lib = join(copy, 'dist', builds()[0], 'lib');
  assert.ok(existsSync(join(lib, 'cli.js')) && existsSync(join(lib, 'cli', 'worker.js')));
  assert.doesNotMatch(readFileSync(join(lib, 'cli.js'), 'utf8'), /\.ts['"]/, 'relative imports point at .js files');
  const root = spawnSync(process.execPath, ['--input-type=module', '-e', `import { repoRoot } from ${JSON.stringify(join(lib, 'paths.js'))}; console.log(repoRoot());`], { encoding: 'utf8' });
  assert.equal(root.stdout.trim(), copy, 'the compiled copy finds the checkout it belongs to');
});

test('commands and workers start from the compiled copy while it matches the sources, and never once a source changed', () => {
  const [build] = builds();
  // A mark only the compiled copy carries tells which code ran.
  appendFileSync(join(copy, 'dist', build, 'lib', 'cli.js'), `\nconsole.log(${JSON.stringify(MARK)});\n`);
  assert.equal(caplab(['--help']).compiled, true);
  assert.equal(worker().compiled, true);
  assert.equal(caplab(['--help'], { CAPLAB_FROM_SOURCES: '1' }).compiled, false, 'CAPLAB_FROM_SOURCES=1 runs the sources');

  const source = join(copy, 'lib', 'cli.ts');
  const original = readFileSync(source, 'utf8');
  writeFileSync(source, original + '\n// an edit\n');
  const w = worker();
  assert.equal(w.code, 0, w.stderr);
  assert.equal(w.compiled, false, 'a worker after the edit runs the sources');
  assert.deepEqual(builds(), [build], 'and builds nothing');
  assert.equal(caplab(['--help']).compiled, false, 'a command after the edit runs a new build');
  assert.equal(builds().length, 2);

  // Back to the old sources: their content names the marked build again.
  writeFileSync(source, original);
  assert.equal(worker().compiled, true);
});

test('a worker runs the copy its local executor named for the run (CAPLAB_RUNTIME_DIR); other commands and unfinished copies ignore it', () => {
  const marked = builds().map((b) => join(copy, 'dist', b)).find((d) => readFileSync(join(d, 'lib', 'cli.js'), 'utf8').includes(MARK))!;
  const source = join(copy, 'lib', 'cli.ts');
  const original = readFileSync(source, 'utf8');
  writeFileSync(source, original + '\n// edited while a run goes on\n');
  try {
    assert.equal(worker({ CAPLAB_RUNTIME_DIR: marked }).compiled, true, 'the run\'s workers keep the code the run started with');
    assert.equal(worker().compiled, false);
    assert.equal(worker({ CAPLAB_RUNTIME_DIR: join(copy, 'dist', 'runtime-0000') }).compiled, false, 'a folder that is no finished build is not used');
    assert.equal(caplab(['--help'], { CAPLAB_RUNTIME_DIR: marked }).compiled, false, 'only workers take the named copy');
  } finally {
    writeFileSync(source, original);
  }
});
