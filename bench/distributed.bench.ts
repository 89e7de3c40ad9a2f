/**
 * Data-parallel efficiency on this machine: K local ranks (processes on loopback) against one
 * rank — same code, same data, same combined batch (each of K ranks takes combined/K rows per
 * step) — at a small and a large combined batch. Prints one JSON line per combined batch on
 * stdout and a table on stderr.
 *
 *   node bench/distributed.bench.ts                      2 ranks vs 1, combined batch 256 and 2048
 *   options: --ranks K (default 2), --batches "256,2048", --repeat N (default 3, or
 *            CAPLAB_BENCH_REPEAT), --epochs E (default 3), --local-sgd N (K ranks run the
 *            opt-in local SGD, averaging parameters every N steps: NOT the exact computation,
 *            and every line says so in "mode"; compare caplab_test_rmse with peer_test_rmse)
 *
 * Each repeat runs one rank, then K ranks, per batch (interleaved, so background load hits both
 * sides alike); the figure is the median ratio of the pairs, with its spread. Epoch 1 warms up;
 * throughput is rank 0's training rows per second of gradient steps over the later epochs.
 * cpu_per_row_ratio is the CPU time of all ranks per row trained, K ranks over one: the work
 * distribution adds (communication), which a busy machine disturbs less than wall time;
 * cores_used is [1 rank, K ranks] CPU seconds per second: what the machine gave each side.
 * Speedup ≈ (cores K / cores 1) / cpu_per_row_ratio, so on a shared machine a low ratio with
 * cpu_per_row_ratio near 1 means the ranks got no more CPU, not that communication cost it.
 * step_ms_by_phase: where rank 0's step time went, milliseconds per step over all epochs
 * (batch = filling batches, prefetched during the exchange on K ranks; exchange = the
 * all-reduce less that prefetch, i.e. transfer, summing and waiting for the slower rank).
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { dataPath, generateDataset, runDataParallelLocal, type LocalDataParallelResult } from '../lib/index.ts';

const { values } = parseArgs({
  options: { ranks: { type: 'string' }, batches: { type: 'string' }, repeat: { type: 'string' }, epochs: { type: 'string' }, 'local-sgd': { type: 'string' } },
});
const ranks = Number(values.ranks ?? 2);
const batches = (values.batches ?? '256,2048').split(',').map(Number);
const repeat = Number(values.repeat ?? process.env.CAPLAB_BENCH_REPEAT ?? 3);
const epochs = Number(values.epochs ?? 3);
const localSgdEvery = values['local-sgd'] === undefined ? undefined : Number(values['local-sgd']);
const mode = localSgdEvery === undefined ? 'exact (gradients averaged every step)' : `local-sgd: parameters averaged every ${localSgdEvery} steps (changes the mathematics; not equal to 1 rank)`;

const dir = dataPath('bench-distributed');
if (!existsSync(dir)) await generateDataset({ out: dir, tickers: 100, days: 1260, seed: 42 });

/**
 * After the warm-up epoch: rank 0's rows per second of gradient steps, the CPU microseconds of
 * all ranks together per row (the work distribution adds), and the cores the ranks got (CPU
 * seconds per wall second: what the machine gave them beside other work).
 */
function steady(r: LocalDataParallelResult): { rate: number; cpuPerRow: number; cores: number } {
  const later = r.train.epochs.slice(1);
  const rows = later.reduce((a, e) => a + e.rows, 0);
  const seconds = later.reduce((a, e) => a + e.rows / e.rowsPerSecond, 0);
  const cpu = r.ranks.reduce((a, x) => a + x.stepCpuSeconds.slice(1).reduce((b, c) => b + c, 0), 0);
  return { rate: rows / seconds, cpuPerRow: (cpu / rows) * 1e6, cores: cpu / seconds };
}

async function run(k: number, combined: number) {
  const r = await runDataParallelLocal({ data: dir, ranks: k, config: { hidden: [64, 32], batchSize: combined / k, epochs, seed: 7 }, ...(k > 1 && localSgdEvery !== undefined ? { localSgdEvery } : {}) });
  return { ...steady(r), r };
}

/** Milliseconds per step by phase (over every epoch, warm-up included). */
function phaseMs(r: LocalDataParallelResult['ranks'][number]): Record<string, number> {
  return Object.fromEntries(Object.entries(r.stepPhases).map(([k, v]) => [k, +((v * 1000) / r.steps).toFixed(3)]));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const r3 = (v: number) => +v.toFixed(3);

const table: string[] = [`${'batch'.padStart(6)} ${'1 rank rows/s'.padStart(14)} ${`${ranks} ranks rows/s`.padStart(15)}  ratio median [min, max]  cpu/row ratio  load1`];
for (const combined of batches) {
  const pairs: Array<{ one: number; many: number; ratio: number; cpuRatio: number; cores: [number, number]; load1: number }> = [];
  let last: Awaited<ReturnType<typeof run>> | undefined;
  let lastOne: Awaited<ReturnType<typeof run>> | undefined;
  for (let i = 0; i < repeat; i++) {
    const load1 = loadavg()[0];
    lastOne = await run(1, combined);
    last = await run(ranks, combined);
    pairs.push({ one: lastOne.rate, many: last.rate, ratio: last.rate / lastOne.rate, cpuRatio: last.cpuPerRow / lastOne.cpuPerRow, cores: [lastOne.cores, last.cores], load1 });
  }
  const ratios = pairs.map((p) => p.ratio);
  const many = last!.r;
  const one = lastOne!.r;
  console.log(JSON.stringify({
    bench: 'data-parallel-local',
    model: '64-32',
    combined_batch: combined,
    cores: cpus().length,
    repeat,
    load1: pairs.map((p) => +p.load1.toFixed(2)),
    caplab_ranks: ranks,
    mode,
    caplab_rows_per_s: Math.round(median(pairs.map((p) => p.many))),
    caplab_held_mb_per_rank: many.ranks.map((x) => +(x.heldBytes / 2 ** 20).toFixed(2)),
    caplab_peak_rss_mb_per_rank: many.ranks.map((x) => +(x.peakRssBytes / 2 ** 20).toFixed(1)),
    caplab_test_rmse: +many.train.metrics.test.rmse.toFixed(6),
    replicas_identical: many.replicasIdentical,
    peer: '1 rank, same code, same combined batch',
    peer_rows_per_s: Math.round(median(pairs.map((p) => p.one))),
    peer_test_rmse: +one.train.metrics.test.rmse.toFixed(6),
    ratio: r3(median(ratios)),
    ratio_min: r3(Math.min(...ratios)),
    ratio_max: r3(Math.max(...ratios)),
    ratios: ratios.map(r3),
    cpu_per_row_ratio: r3(median(pairs.map((p) => p.cpuRatio))),
    cores_used: pairs.map((p) => p.cores.map((c) => +c.toFixed(2))),
    held_ratio: r3(many.ranks[0].heldBytes / one.ranks[0].heldBytes),
    step_ms_by_phase: { one: phaseMs(one.ranks[0]), many: phaseMs(many.ranks[0]) },
  }));
  table.push(`${String(combined).padStart(6)} ${String(Math.round(median(pairs.map((p) => p.one)))).padStart(14)} ${String(Math.round(median(pairs.map((p) => p.many)))).padStart(15)}  ${r3(median(ratios))} [${r3(Math.min(...ratios))}, ${r3(Math.max(...ratios))}]  ${r3(median(pairs.map((p) => p.cpuRatio))).toFixed(3).padStart(13)}  ${pairs.map((p) => p.load1.toFixed(1)).join(' ')}`);
}
console.error(table.join('\n'));
