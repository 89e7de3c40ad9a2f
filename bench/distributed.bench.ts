// Data-parallel training on this machine: 2 local ranks (processes on loopback) against 1 rank
// at the same combined batch, on the same data. On one machine this shows the data each rank
// holds halving and what the per-step all-reduce costs; speed comes from more machines.
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { dataPath, generateDataset, runDataParallelLocal } from '../lib/index.ts';

const dir = dataPath('bench-distributed');
if (!existsSync(dir)) await generateDataset({ out: dir, tickers: 100, days: 1260, seed: 42 });

const combinedBatch = 256;
const runs: Array<{ ranks: number; rowsPerSecond: number; seconds: number; heldBytes: number[]; peakRss: number[]; identical: boolean; testRmse: number }> = [];
for (const ranks of [1, 2]) {
  const r = await runDataParallelLocal({
    data: dir,
    ranks,
    config: { hidden: [64, 32], batchSize: combinedBatch / ranks, epochs: 2, seed: 7 },
  });
  runs.push({
    ranks,
    rowsPerSecond: r.train.rowsPerSecond,
    seconds: r.seconds,
    heldBytes: r.ranks.map((x) => x.heldBytes),
    peakRss: r.ranks.map((x) => x.peakRssBytes),
    identical: r.replicasIdentical,
    testRmse: r.train.metrics.test.rmse,
  });
}
const [one, two] = runs;
console.log(JSON.stringify({
  bench: 'data-parallel-local',
  model: '64-32',
  combined_batch: combinedBatch,
  cores: cpus().length,
  caplab_ranks: 2,
  caplab_rows_per_s: Math.round(two.rowsPerSecond),
  caplab_held_mb_per_rank: two.heldBytes.map((b) => +(b / 2 ** 20).toFixed(2)),
  caplab_peak_rss_mb_per_rank: two.peakRss.map((b) => +(b / 2 ** 20).toFixed(1)),
  caplab_test_rmse: +two.testRmse.toFixed(4),
  replicas_identical: two.identical,
  peer: '1 rank, same code, same combined batch',
  peer_rows_per_s: Math.round(one.rowsPerSecond),
  peer_held_mb: +(one.heldBytes[0] / 2 ** 20).toFixed(2),
  peer_test_rmse: +one.testRmse.toFixed(4),
  ratio: +(two.rowsPerSecond / one.rowsPerSecond).toFixed(3),
  held_ratio: +(two.heldBytes[0] / one.heldBytes[0]).toFixed(3),
}));
