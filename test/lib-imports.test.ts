// The layering of lib/: contracts at the bottom, executors knowing no workload, no cycles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importCycles, importGraph } from '../scripts/code-shape.ts';

const graph = importGraph('lib');

/** lib/exec/child.ts → 'exec'; lib/cli.ts → 'cli'. */
function folderOf(file: string): string {
  const parts = file.split('/');
  return parts.length > 2 ? parts[1] : parts[1].replace(/\.ts$/, '');
}

function importsFrom(folder: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [file, targets] of graph) if (folderOf(file) === folder) for (const t of targets) out.push([file, t]);
  return out;
}

test('no file in lib/ takes part in an import cycle (static, dynamic and type-only imports count)', () => {
  assert.deepEqual(importCycles(graph), []);
});

test('the folders of lib/ import each other without a cycle', () => {
  const folders = new Map<string, string[]>();
  for (const [file, targets] of graph) {
    const from = folderOf(file);
    const to = new Set(folders.get(from) ?? []);
    for (const t of targets) if (folderOf(t) !== from) to.add(folderOf(t));
    folders.set(from, [...to]);
  }
  assert.deepEqual(importCycles(folders), []);
});

test('the executors import no workload: nothing from search, memory or distributed', () => {
  const upward = importsFrom('exec').filter(([, t]) => ['search', 'memory', 'distributed'].includes(folderOf(t)));
  assert.deepEqual(upward, []);
});

test('the contracts in lib/spec import nothing but provenance and errors', () => {
  const allowed = new Set(['spec', 'provenance', 'errors']);
  assert.deepEqual(importsFrom('spec').filter(([, t]) => !allowed.has(folderOf(t))), []);
});

test('cluster code never imports the executors back', () => {
  assert.deepEqual(importsFrom('cluster').filter(([, t]) => folderOf(t) === 'exec'), []);
});

test('CLI commands use only the public API and the CLI\'s own output helpers (the worker entry excepted, as lib/cli.ts says)', () => {
  const allowed = new Set(['lib/index.ts', 'lib/cli/output.ts']);
  const commands = importsFrom('cli').filter(([file]) => file.startsWith('lib/cli/') && file !== 'lib/cli/worker.ts' && file !== 'lib/cli/output.ts');
  assert.deepEqual(commands.filter(([, t]) => !allowed.has(t)), []);
  // The dispatcher and the worker entry stay light: every worker process loads them.
  assert.deepEqual(importsFrom('cli').filter(([file, t]) => file === 'lib/cli.ts' && !t.startsWith('lib/cli/') && t !== 'lib/errors.ts'), []);
  // The output helpers stay at the bottom: errors and the small utilities, no workload.
  assert.deepEqual(importsFrom('cli').filter(([file, t]) => file === 'lib/cli/output.ts' && t !== 'lib/errors.ts' && !t.startsWith('lib/util/')), []);
});
