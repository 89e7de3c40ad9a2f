import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareStored, compareResults } from '../lib/report/compare.ts';
import { comparisonTables, comparisonMarkdown, comparisonText } from '../lib/report/compare-format.ts';
import { parallelComparisonFigure, scaleComparisonFigure, PROJECTION_NAME } from '../lib/report/compare-figures.ts';
import { readStoredResult, storedResultPaths } from '../lib/report/compare-read.ts';
import { checkTrainResult } from '../lib/report/stored-train.ts';
import { makespan, maxConcurrency } from '../lib/report/compare-parallel.ts';
import { localPlace, podPlace, probeReport, trainResult, writeExperiment, writeJson, writeThreeRuns, SPACE } from './helpers/stored-results.ts';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'caplab-compare-'));
});
after(() => rm(root, { recursive: true, force: true }));

const dir = (name: string) => join(root, name);

test('sequential, pool and cluster runs of the same trials: wall time, speedup, efficiency and overhead from the stored records', async () => {
  const runs = await writeThreeRuns(dir('three'));
  const c = await compareStored([runs.seq, runs.pool, runs.kube]);
  const [seq, pool, kube] = c.parallel!.rows;
  assert.deepEqual([seq.wallSeconds, pool.wallSeconds, kube.wallSeconds], [40, 20, 10]);
  assert.deepEqual([seq.concurrency, pool.concurrency, kube.concurrency], [1, 2, 4]);
  assert.deepEqual([seq.speedup, pool.speedup, kube.speedup], [1, 2, 4]);
  assert.deepEqual([pool.efficiency, kube.efficiency], [1, 1]);
  assert.equal(pool.overheadPerTrial, 2);
  assert.equal(kube.ranOn, 'node-0 ×2, node-1 ×1, node-2 ×1');
  assert.equal(c.parallel!.baseline, runs.seq);
});

test('refuses runs of different datasets, naming the field and each value', async () => {
  const a = dir('data-a');
  const b = dir('data-b');
  await writeExperiment(a, (i) => ({ start: i * 10, seconds: 10, train: 8, worker: 'seq-0', provenance: localPlace('sequential') }), { checksum: 'aaaa' });
  await writeExperiment(b, (i) => ({ start: 0, seconds: 10, train: 8, worker: `pool-${i}`, provenance: localPlace('pool') }), { checksum: 'bbbb' });
  await assert.rejects(compareStored([a, b]), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'mixed-results');
    assert.match(e.message, /dataset checksum differs: aaaa \(data-a\) vs bbbb \(data-b\)/);
    return true;
  });
});

test('refuses a different search space, backend, caplab version or machine, naming each', async () => {
  const base = dir('base');
  await writeExperiment(base, (i) => ({ start: i * 10, seconds: 10, train: 8, worker: 'seq-0', provenance: localPlace('sequential') }));
  const cases: Array<[string, Parameters<typeof writeExperiment>[1], Parameters<typeof writeExperiment>[2], RegExp]> = [
    ['space', (i) => ({ start: i, seconds: 1, train: 1, worker: 'pool-0', provenance: localPlace('pool') }), { space: { ...SPACE, fixed: { epochs: 2 } } }, /search space differs/],
    ['backend', (i) => ({ start: i, seconds: 1, train: 1, worker: 'pool-0', provenance: localPlace('pool') }), { backend: 'cpu' }, /training backend differs/],
    ['version', (i) => ({ start: i, seconds: 1, train: 1, worker: 'pool-0', provenance: localPlace('pool', { versions: { caplab: '0.2.0', node: 'v24' } }) }), {}, /caplab version differs: 0\.1\.0 .* vs 0\.2\.0/],
    ['host', (i) => ({ start: i, seconds: 1, train: 1, worker: 'pool-0', provenance: localPlace('pool', { host: 'desktop' }) }), {}, /host differs: laptop .* vs desktop/],
  ];
  for (const [name, timing, over, message] of cases) {
    const other = dir(`other-${name}`);
    await writeExperiment(other, timing, over);
    await assert.rejects(compareStored([base, other]), message, name);
  }
});

test('refuses an experiment whose trials ran in two places, and one with trials missing', async () => {
  const mixed = dir('mixed');
  await writeExperiment(mixed, (i) => ({ start: i * 10, seconds: 10, train: 8, worker: 'w', provenance: i < 2 ? localPlace('sequential') : localPlace('pool') }));
  await assert.rejects(compareStored([mixed]), /executor within mixed differs/);
  const partial = dir('partial');
  await writeExperiment(partial, (i) => ({ start: i * 10, seconds: 10, train: 8, worker: 'seq-0', provenance: localPlace('sequential') }));
  const r = await readStoredResult(partial);
  assert.equal(r.type, 'search');
  if (r.type === 'search') r.records.pop();
  assert.throws(() => compareResults([r]), /has results for 3 of its 4 trials[\s\S]*--resume/);
});

test('a run on the local control plane is labelled as one, with its process nodes, and never as a cluster', async () => {
  const runs = await writeThreeRuns(dir('local-cp'), 'caplab-local-3');
  const c = await compareStored([runs.seq, runs.kube]);
  const kube = c.parallel!.rows[1];
  assert.equal(kube.place.kind, 'local-control-plane');
  assert.match(kube.place.label, /^a real Kubernetes control plane with 3 process nodes on this machine/);
  const table = comparisonTables(c).find((t) => t.title.startsWith('Parallelism'))!;
  assert.equal(table.rows[1]['measured on'], 'local control plane');
  assert.doesNotMatch(comparisonText(c), /\bcluster caplab-local/);
  const fig = parallelComparisonFigure(c);
  assert.deepEqual(fig.data.map((t) => t.name), ['measured on this machine', 'measured on local control plane', PROJECTION_NAME]);
});

test('a local run is never labelled as a cluster run', async () => {
  const runs = await writeThreeRuns(dir('local-only'));
  const c = await compareStored([runs.seq, runs.pool]);
  for (const r of c.parallel!.rows) {
    assert.equal(r.place.kind, 'local');
    assert.match(r.place.label, /^this machine \(laptop: 4 cores, 16 GiB\)$/);
  }
  assert.ok(c.cost.rows.every((r) => r.podSeconds === null && r.cost === null), 'local runs carry no pod-seconds and no price');
});

test('cost: measured pod-seconds times the pods\' limits and the prices; example prices say so and where to change them', async () => {
  const runs = await writeThreeRuns(dir('cost'));
  const example = await compareStored([runs.seq, runs.kube]);
  const kube = example.cost.rows.find((r) => r.run === 'search: kubernetes')!;
  assert.equal(kube.podSeconds, 40);
  assert.equal(kube.vcpuHours, 40 / 3600);
  assert.equal(kube.gibHours, 40 / 3600);
  assert.ok(Math.abs(kube.cost! - (40 / 3600) * (0.04 + 0.005)) < 1e-12);
  const seq = example.cost.rows.find((r) => r.run === 'search: sequential')!;
  assert.equal(seq.machineCoreHours, (40 * 4) / 3600);
  const md = comparisonMarkdown(example);
  assert.match(md, /Cost at EXAMPLE prices/);
  assert.match(md, /set yours with `caplab compare --vcpu-hour X --gib-hour Y/);
  const mine = await compareStored([runs.seq, runs.kube], { prices: { vcpuHour: 1, gibHour: 0, currency: 'EUR' } });
  assert.equal(mine.cost.rows.find((r) => r.run === 'search: kubernetes')!.cost, 40 / 3600);
  assert.match(comparisonMarkdown(mine), /Cost at your prices: 1 EUR\/vCPU-hour/);
  assert.throws(() => compareResults([], {}), /Nothing to compare/);
  await assert.rejects(compareStored([runs.seq], { prices: { vcpuHour: -1 } }), /vcpuHour must be a number ≥ 0/);
  const again = await compareStored([runs.seq], { prices: { vcpuHour: 0.04, gibHour: 0.005, currency: 'USD' } });
  assert.equal(again.cost.prices.example, true, 'the example prices passed back in are still example prices');
});

test('projections sit in their own table and their own trace, never in a measurement column', async () => {
  const runs = await writeThreeRuns(dir('proj'));
  const c = await compareStored([runs.seq, runs.pool], { podStartSeconds: 5 });
  assert.equal(c.projections.length, 1);
  const p = c.projections[0];
  assert.equal(p.wallSeconds, 15, 'four 10 s trials on four pods, plus 5 s assumed start-up');
  assert.match(p.basis, /assumed pod start-up of 5 s \(not measured\)/);
  const tables = comparisonTables(c);
  for (const t of tables.filter((t) => t.kind === 'measured')) {
    assert.doesNotMatch(JSON.stringify(t.rows), /projection|15 s/, `${t.title} holds a projection`);
  }
  assert.equal(tables.at(-1)!.kind, 'projection');
  const trace = parallelComparisonFigure(c).data.find((t) => t.name === PROJECTION_NAME)!;
  const marker = trace.marker as { line: { dash: string }; pattern: { shape: string } };
  assert.equal(marker.line.dash, 'dash');
  assert.equal(marker.pattern.shape, '/');
});

test('scale: the largest in-memory scale, the failure and why; the cluster way says "not run" until a cluster result is stored', async () => {
  const probe = await writeJson(dir('probe-t.json'), probeReport());
  const inMem = await writeJson(dir('train-t-in-memory.json'), trainResult('in-memory', 2));
  const streamed = await writeJson(dir('train-t-streamed.json'), trainResult('streamed', 5, { rowsPerSecond: 20_000 }));
  const c = await compareStored([probe, inMem, streamed]);
  const s = c.scale!;
  assert.deepEqual(s.largestInMemory, { scale: 2, rows: 200_000, peakBytes: 200 * 2 ** 20 });
  assert.equal(s.failed!.scale, 5);
  assert.equal(s.failed!.outcome, 'over-budget');
  assert.equal(s.standInBudget, true);
  const cluster = s.ways.find((w) => w.way === 'data-parallel')!;
  assert.deepEqual(cluster, { way: 'data-parallel', status: 'not run' });
  const row = comparisonTables(c).find((t) => t.title === 'Scale: each way of training')!.rows[2];
  assert.equal(row['rows/s'], 'not run');
  assert.deepEqual(scaleComparisonFigure(c).data.flatMap((t) => t.x as string[]), ['in-memory<br>2×', 'streamed<br>5×']);
  assert.equal(c.projections.find((p) => p.topic === 'scale')!.value, '~350 MiB → 2 pods × 282Mi');

  // Cluster training (notebook 06) stores the same shape with ranks; it slots into the third way.
  const ranks = [0, 1].map((rank) => ({ rank, pod: `train-${rank}`, node: `node-${rank}`, rows: 175_000, peakBytes: 250 * 2 ** 20, limitBytes: 282 * 2 ** 20, seconds: 9 }));
  const dp = await writeJson(dir('train-t-data-parallel.json'), trainResult('data-parallel', 5, { rowsPerSecond: 30_000, ranks, provenance: podPlace('caplab-local-2', 'node-0', { memory: '282Mi' }) }));
  const withCluster = await compareStored([probe, inMem, streamed, dp]);
  const way = withCluster.scale!.ways.find((w) => w.way === 'data-parallel')!;
  assert.equal(way.status, 'measured');
  assert.equal(way.pods, 2);
  assert.equal(way.peakBytes, 250 * 2 ** 20);
  assert.equal(way.limitBytes, 282 * 2 ** 20);
  assert.match(way.place!.label, /^a real Kubernetes control plane with 2 process nodes on this machine/);
});

test('scale: refuses training results of another model config or base market, naming the field', async () => {
  const probe = await writeJson(dir('probe-m.json'), probeReport());
  const a = await writeJson(dir('train-m-a.json'), trainResult('in-memory', 1));
  const b = await writeJson(dir('train-m-b.json'), trainResult('streamed', 5, { config: { ...trainResult('streamed', 5).config, batchSize: 1024 } }));
  await assert.rejects(compareStored([probe, a, b]), /model config field batchSize differs: 256 \(train-m-a\.json\) vs 1024 \(train-m-b\.json\)/);
  const small = await writeJson(dir('probe-small.json'), probeReport({ tickers: 8, days: 160 }));
  await assert.rejects(compareStored([small, a]), /base market size differs: 8 tickers × 160 days .* vs 100 tickers × 1260 days/);
});

test('stored results are recognised by their kind, and a wrong one is refused with the field named', async () => {
  await assert.rejects(readStoredResult(dir('nope.json')), /does not exist[\s\S]*caplab probe --out/);
  const other = await writeJson(dir('other.json'), { kind: 'something-else' });
  await assert.rejects(readStoredResult(other), /not a caplab result \(kind "something-else"\)/);
  assert.throws(() => checkTrainResult({ ...trainResult('data-parallel', 2) }, 'x.json'), /x\.json: field "ranks" must list every rank/);
  assert.throws(() => checkTrainResult({ ...trainResult('streamed', 2), rowsPerSecond: 'fast' }, 'x.json'), /field "rowsPerSecond" must be a number/);
});

test('storedResultPaths finds what the notebooks stored for a preset', async () => {
  const r = dir('results');
  await writeThreeRuns(r);
  await writeJson(join(r, 'probe-t.json'), probeReport());
  await writeJson(join(r, 'train-t-streamed.json'), trainResult('streamed', 5));
  await writeJson(join(r, 'train-other-streamed.json'), trainResult('streamed', 5));
  const found = storedResultPaths('t', r).map((p) => p.slice(r.length + 1));
  assert.deepEqual(found, ['probe-t.json', 'search-t-sequential', 'search-t-pool', 'search-t-kubernetes', 'train-t-streamed.json']);
});

test('concurrency and makespan, the two figures speedup and projection rest on', () => {
  const at = (s: number, e: number) => ({ startedAt: new Date(s * 1000).toISOString(), finishedAt: new Date(e * 1000).toISOString() });
  assert.equal(maxConcurrency([at(0, 10), at(10, 20)]), 1, 'back to back is not at once');
  assert.equal(maxConcurrency([at(0, 10), at(5, 20), at(6, 7)]), 3);
  assert.equal(makespan([5, 4, 3, 3, 3], 2), 10, 'longest first: 5+3 and 4+3+3');
  assert.equal(makespan([5, 4], 10), 5);
});
