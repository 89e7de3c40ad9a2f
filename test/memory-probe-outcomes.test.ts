/**
 * Every way a probe child can end, with a small stand-in child (test/fixtures/memory/child.ts)
 * that runs out of memory on purpose. Children stay well under ~300 MB.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProbe, type ProbeOptions } from '../lib/memory/probe.ts';
import type { ProbeDataset } from '../lib/memory/datasets.ts';
import { budgetEnforcement } from '../lib/exec/memory-watch.ts';

const CHILD = fileURLToPath(new URL('./fixtures/memory/child.ts', import.meta.url));
const MiB = 1024 ** 2;

/** No real datasets: each scale "has" scale × 1000 rows of 7 features. */
const prepare = async (scale: number): Promise<ProbeDataset> => ({ dir: `/nowhere/x${scale}`, rows: scale * 1000, features: 7 });

function probe(args: string[], options: ProbeOptions = {}) {
  return runProbe({ scales: [1], budget: '1GiB', prepare, command: [CHILD, ...args], ...options });
}

test('records a child that finishes within the budget as ok, with its peak memory', async () => {
  const r = await probe(['ok', '--mib-per-scale', '16'], { scales: [1, 4] });
  assert.deepEqual(r.runs.map((x) => x.outcome), ['ok', 'ok']);
  for (const run of r.runs) {
    assert.ok(run.peakBytes! > 20 * MiB && run.peakBytes! < 400 * MiB, `peak ${run.peakBytes}`);
    assert.equal(run.backend, 'fixture');
  }
  // 48 MiB more data at 4× than at 1×: the peak shows it.
  assert.ok(r.runs[1].peakBytes! - r.runs[0].peakBytes! > 30 * MiB);
  assert.equal(r.largestOkScale, 4);
  assert.equal(r.fit?.points, 2);
  assert.equal(r.provenance.backend, 'fixture');
});

test('without a cgroup, the RSS watch kills a child that goes over the budget and records it over-budget at its peak', async () => {
  const r = await probe(['grow'], { budget: '150MiB', enforce: 'rss-watch' });
  const run = r.runs[0];
  assert.equal(run.outcome, 'over-budget', run.reason);
  assert.equal(run.exitSignal, 'SIGKILL');
  assert.ok(run.peakBytes! > 150 * MiB && run.peakBytes! < 320 * MiB, `peak ${run.peakBytes}`);
  assert.equal(r.enforcement?.by, 'rss-watch');
});

const cgroups = budgetEnforcement();

test('where a memory cgroup can be made, the kernel kills a child over the budget inside it, and the run says so', { skip: cgroups.by === 'cgroup' ? false : `no memory cgroup here: ${cgroups.why}` }, async () => {
  const r = await probe(['grow'], { budget: '150MiB' });
  const run = r.runs[0];
  assert.equal(r.enforcement?.by, 'cgroup');
  assert.equal(run.outcome, 'oom', run.reason);
  assert.equal(run.oom, 'killed');
  assert.equal(run.exitSignal, 'SIGKILL');
  assert.match(run.reason!, /killed by the kernel: out of memory in its cgroup, limit 150/);
  // Killed before it held all it asks for (256 MiB on top of Node's own). Resident memory also
  // counts Node's shared code pages, which the cgroup does not charge, so the peak can pass 150 MiB.
  assert.ok(run.peakBytes! > 100 * MiB && run.peakBytes! < 280 * MiB, `peak ${run.peakBytes}`);
  // The same child within a larger budget finishes, in a cgroup too.
  const fits = await probe(['ok', '--mib-per-scale', '16'], { budget: '400MiB' });
  assert.equal(fits.runs[0].outcome, 'ok', fits.runs[0].reason);
});

test('records a V8 heap-limit death (SIGABRT) as oom of kind heap', async () => {
  const r = await probe(['heap'], { heapLimitMiB: 32 });
  const run = r.runs[0];
  assert.equal(run.outcome, 'oom', run.reason);
  assert.equal(run.oom, 'heap');
  assert.equal(run.exitSignal, 'SIGABRT');
  assert.match(run.reason!, /heap out of memory/);
});

test('records a caught ArrayBuffer allocation failure as oom of kind alloc', async () => {
  const run = (await probe(['alloc'])).runs[0];
  assert.equal(run.outcome, 'oom', run.reason);
  assert.equal(run.oom, 'alloc');
  assert.equal(run.exitCode, 71);
  assert.match(run.reason!, /Array buffer allocation failed/);
});

test('records a wasm memory that cannot grow as oom of kind wasm', async () => {
  const run = (await probe(['wasm'])).runs[0];
  assert.equal(run.outcome, 'oom', run.reason);
  assert.equal(run.oom, 'wasm');
  assert.match(run.reason!, /Maximum memory size exceeded/);
});

test('records a SIGKILL the probe did not send as the kernel OOM killer', async () => {
  const run = (await probe(['kill'])).runs[0];
  assert.equal(run.outcome, 'oom', run.reason);
  assert.equal(run.oom, 'killed');
});

test('records a child that crashes for another reason as failed, with its error', async () => {
  const run = (await probe(['crash'])).runs[0];
  assert.equal(run.outcome, 'failed');
  assert.equal(run.oom, undefined);
  assert.match(run.reason!, /boom: not a memory problem/);
});

test('skips larger scales once one failed, and estimates their rows for the plan', async () => {
  const r = await probe(['ok', '--fail-from', '4', '--fail-mode', 'kill'], { scales: [1, 2, 4, 8, 16] });
  assert.deepEqual(r.runs.map((x) => x.outcome), ['ok', 'ok', 'oom', 'skipped', 'skipped']);
  assert.equal(r.runs[3].rows, 8000);
  assert.equal(r.runs[3].rowsEstimated, true);
  assert.equal(r.largestOkScale, 2);
  assert.deepEqual(r.plan.map((p) => p.scale), [1, 2, 4, 8, 16]);
});

test('keeps going past a failure when asked', async () => {
  const r = await probe(['ok', '--fail-from', '2', '--fail-mode', 'alloc'], { scales: [1, 2, 3], keepGoing: true });
  assert.deepEqual(r.runs.map((x) => x.oom ?? x.outcome), ['ok', 'alloc', 'alloc']);
});

test('records a scale whose dataset cannot be made as failed and goes on to skip the rest', async () => {
  const r = await probe(['ok'], {
    scales: [1, 2],
    prepare: async () => {
      throw new Error('disk full');
    },
  });
  assert.deepEqual(r.runs.map((x) => x.outcome), ['failed', 'skipped']);
  assert.match(r.runs[0].reason!, /disk full/);
  assert.equal(r.fit, null);
});

test('saves the report atomically with provenance', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'caplab-probe-'));
  try {
    const out = join(dir, 'nested', 'probe.json');
    const events: string[] = [];
    const r = await probe(['ok'], { scales: [1, 2], out, onProgress: (e) => e.kind === 'probe-scale' && events.push(`${e.scale}:${e.status}`) });
    const saved = JSON.parse(await readFile(out, 'utf8'));
    assert.equal(saved.kind, 'caplab-memory-probe');
    assert.equal(saved.budgetBytes, 1024 * MiB);
    assert.equal(saved.provenance.cores > 0, true);
    assert.equal(saved.provenance.totalMemoryBytes > 0, true);
    assert.equal(saved.provenance.backend, 'fixture');
    assert.ok(saved.provenance.versions.node);
    assert.deepEqual(saved.runs.map((x: { outcome: string }) => x.outcome), r.runs.map((x) => x.outcome));
    assert.ok(events.includes('1:ok') && events.includes('2:ok') && events.includes('1:running'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
