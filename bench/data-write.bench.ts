// The data stage's figures, one JSON line each:
// - data-write: `generateDataset` at a scale that takes several seconds, in MB/s and rows/s, beside
//   this machine's plain sequential write of the same number of bytes with Node's fs in one go
//   (one buffer, one write, fsync) in the same run; ratio = caplab MB/s ÷ plain MB/s.
//   Generation runs on worker threads (one per core); caplab_cpu_seconds is the process's CPU time
//   for it, steadier than the wall clock on a shared machine.
// - data-write-one-thread: the same dataset built on one thread only (workers: 0, in a fresh process), beside
//   the same plain write: what the threads add.
// - data-generate: the generator alone (simulate + features into memory, no disk), in rows/s and
//   the MB/s of shards that would make; ratio to the plain write says which one limits `data-write`.
// - data-memory: peak RSS of a child generating the base scale and one generating the bench scale:
//   streaming shard by shard should keep them close whatever the scale.
//   node bench/data-write.bench.ts [--scale 15] [--tickers 100] [--days 1260]
import { spawnSync } from 'node:child_process';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateDataset } from '../lib/index.ts';
import { syntheticSource } from '../lib/data/generate.ts';
import { FEATURE_COUNT, WARMUP, featureScratch, prepareFeatures, writeFeatureRows } from '../lib/data/features.ts';

const { values } = parseArgs({
  options: { scale: { type: 'string', default: '15' }, tickers: { type: 'string', default: '100' }, days: { type: 'string', default: '1260' } },
});
const scale = Number(values.scale);
const tickers = Number(values.tickers);
const days = Number(values.days);
const MB = 1e6;

// Same disk as the repository's data folder unless TMPDIR says otherwise.
const root = await mkdtemp(join(process.env.CAPLAB_BENCH_DIR ?? tmpdir(), 'caplab-bench-data-'));
try {
  const cpu0 = process.cpuUsage();
  const s = await generateDataset({ out: join(root, 'data'), scale, tickers, days, seed: 42 });
  const cpu = process.cpuUsage(cpu0);

  const plain = Buffer.alloc(s.bytes, 0x5a);
  const t0 = performance.now();
  const fh = await open(join(root, 'plain.bin'), 'w');
  let done = 0;
  while (done < plain.length) done += (await fh.write(plain, done, plain.length - done, done)).bytesWritten;
  await fh.sync();
  await fh.close();
  const plainSeconds = (performance.now() - t0) / 1000;
  const caplabMBs = s.bytes / MB / s.seconds;
  const plainMBs = s.bytes / MB / plainSeconds;
  console.log(JSON.stringify({
    bench: 'data-write', scale, tickers: s.manifest.source.tickers, days, rows: s.rows, bytes: s.bytes, shards: s.shards, workers: availableParallelism(),
    caplab_seconds: round(s.seconds), caplab_cpu_seconds: round((cpu.user + cpu.system) / 1e6), caplab_mb_per_s: round(caplabMBs), caplab_rows_per_s: Math.round(s.rows / s.seconds),
    peer: 'node fs.write one buffer + fsync', peer_seconds: round(plainSeconds), peer_mb_per_s: round(plainMBs),
    ratio: round(caplabMBs / plainMBs),
  }));
  await rm(join(root, 'plain.bin'));

  // In a fresh process, as the threaded run was: this one's JIT is warm by now.
  const one = inChild<{ seconds: number; rows: number; bytes: number }>(`const s = await generateDataset({ out: ${JSON.stringify(join(root, 'data-one'))}, scale: ${scale}, tickers: ${tickers}, days: ${days}, seed: 42, workers: 0 });
console.log(JSON.stringify({ seconds: s.seconds, rows: s.rows, bytes: s.bytes }));`);
  const oneMBs = one.bytes / MB / one.seconds;
  console.log(JSON.stringify({
    bench: 'data-write-one-thread', scale, rows: one.rows, bytes: one.bytes, workers: 0,
    caplab_seconds: round(one.seconds), caplab_mb_per_s: round(oneMBs), caplab_rows_per_s: Math.round(one.rows / one.seconds),
    peer: 'node fs.write one buffer + fsync', peer_seconds: round(plainSeconds), peer_mb_per_s: round(plainMBs),
    ratio: round(oneMBs / plainMBs), threads_speedup: round(one.seconds / s.seconds),
  }));
  await rm(join(root, 'data-one'), { recursive: true, force: true });

  // The generator alone: every ticker simulated and turned into rows in memory.
  const count = Math.round(tickers * scale);
  const source = syntheticSource(42, count, days);
  const rowsPerTicker = days;
  const x = new Float32Array(rowsPerTicker * FEATURE_COUNT);
  const y = new Float32Array(rowsPerTicker);
  const scratch = featureScratch();
  const t1 = performance.now();
  for (let i = 0; i < count; i++) {
    const series = source.load(i);
    prepareFeatures(series, scratch);
    writeFeatureRows(series, WARMUP, WARMUP + days, x, y, 0, scratch);
  }
  const genSeconds = (performance.now() - t1) / 1000;
  const genRows = count * rowsPerTicker;
  const bytesPerRow = s.bytes / s.rows;
  const genMBs = (genRows * bytesPerRow) / MB / genSeconds;
  console.log(JSON.stringify({
    bench: 'data-generate', tickers: count, rows: genRows, seconds: round(genSeconds), rows_per_s: Math.round(genRows / genSeconds),
    shard_mb_per_s: round(genMBs), peer: 'plain write (data-write)', peer_mb_per_s: round(plainMBs), ratio: round(genMBs / plainMBs),
  }));

  // Peak memory of a child per scale.
  const peak = (sc: number) => {
    const code = `const { generateDataset } = await import(${JSON.stringify(new URL('../lib/index.ts', import.meta.url).href)});
await generateDataset({ out: ${JSON.stringify(join(root, 'm'))} + '-' + ${sc}, scale: ${sc}, tickers: ${tickers}, days: ${days}, force: true });
console.log(process.resourceUsage().maxRSS * 1024);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return Number(r.stdout.trim().split('\n').pop());
  };
  const small = peak(1);
  const large = peak(scale);
  console.log(JSON.stringify({
    bench: 'data-memory', scale_small: 1, peak_rss_mb_small: round(small / MB), scale_large: scale, peak_rss_mb_large: round(large / MB),
    data_mb_large: round(s.bytes / MB), ratio: round(large / small),
  }));
} finally {
  await rm(root, { recursive: true, force: true });
}

/** Runs `code` (with generateDataset in scope) in a fresh Node process; returns its last stdout line as JSON. */
function inChild<T>(code: string): T {
  const lib = JSON.stringify(new URL('../lib/index.ts', import.meta.url).href);
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `const { generateDataset } = await import(${lib});\n${code}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as T;
}

function round(v: number): number {
  return Number(v.toPrecision(4));
}
