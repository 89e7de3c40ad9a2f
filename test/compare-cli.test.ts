import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localPlace, probeReport, writeExperiment, writeJson, writeThreeRuns } from './helpers/stored-results.ts';
import { runCaplab } from './helpers/cli.ts';


const caplab = (args: string[], env: Record<string, string> = {}) => runCaplab(['compare', ...args], { env });

let root: string;
let runs: Awaited<ReturnType<typeof writeThreeRuns>>;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'caplab-compare-cli-'));
  runs = await writeThreeRuns(root);
  await writeJson(join(root, 'probe-t.json'), probeReport());
});
after(() => rm(root, { recursive: true, force: true }));

test('caplab compare prints the parallelism, cost and projection tables; --json gives the same numbers as one object', async () => {
  const text = await caplab([runs.seq, runs.pool, runs.kube, join(root, 'probe-t.json')]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /== Parallelism: the same 4 trials/);
  assert.match(text.stdout, /kubernetes +cluster +cluster prod-east \(Kubernetes v1\.34\.12, 3 nodes, pods of 1 CPU \/ 1Gi\)/);
  assert.match(text.stdout, /== Cost at EXAMPLE prices/);
  assert.match(text.stdout, /== PROJECTIONS \(NOT MEASURED\) ==/);
  assert.match(text.stdout, /data-parallel +not run/);
  const json = await caplab([runs.seq, runs.kube, '--json', '--vcpu-hour', '2', '--gib-hour', '0']);
  assert.equal(json.code, 0, json.stderr);
  const c = JSON.parse(json.stdout.trimEnd().split('\n').at(-1)!);
  assert.deepEqual(c.parallel.rows.map((r: { speedup: number }) => r.speedup), [1, 4]);
  assert.equal(c.cost.prices.example, false);
  assert.equal(c.cost.rows[1].cost, (40 / 3600) * 2);
  const md = await caplab([runs.seq, runs.pool, '--markdown']);
  assert.match(md.stdout, /^### Parallelism: the same 4 trials/m);
  assert.match(md.stdout, /^\| sequential \| this machine \|/m);
});

test('caplab compare --preset reads what the notebooks stored under the results folder', async () => {
  const r = await caplab(['--preset', 't', '--json'], { CAPLAB_RESULTS_ROOT: root });
  assert.equal(r.code, 0, r.stderr);
  const c = JSON.parse(r.stdout.trimEnd().split('\n').at(-1)!);
  assert.equal(c.inputs.length, 4);
  const none = await caplab(['--preset', 'nothing'], { CAPLAB_RESULTS_ROOT: root });
  assert.equal(none.code, 1);
  assert.match(none.stderr, /No stored results for preset "nothing"/);
});

test('caplab compare refuses mixed results with the differing field, and no stack trace', async () => {
  const other = join(root, 'other-data');
  await writeExperiment(other, (i) => ({ start: i, seconds: 1, train: 1, worker: 'pool-0', provenance: localPlace('pool') }), { checksum: 'different' });
  const r = await caplab([runs.seq, other]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /caplab compare: Cannot compare these results: their dataset checksum differs: c0ffee \(search-t-sequential\) vs different \(other-data\)/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  const usage = await caplab([]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /needs stored results/);
  const bad = await caplab([runs.seq, '--vcpu-hour', 'cheap']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--vcpu-hour must be a number ≥ 0, got "cheap"/);
});
