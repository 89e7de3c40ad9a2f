// CSV import figures, one JSON line each, for a generated S&P-layout CSV of synthetic prices
// (default 2,700 tickers × 1,321 days ≈ 213 MB, the size the issue measured), in two row orders:
// grouped by ticker (as exports usually are) and scattered (each block of 300 tickers written day
// by day, so a ticker's rows are spread over a ninth of the file).
// - data-import-memory: peak RSS of a child importing the file, beside the file's size;
//   ratio = peak RSS ÷ file bytes (goal ≤ 2).
// - data-import-speed: the import's rows/s and MB/s of CSV (and its CPU seconds: steadier than the
//   wall clock on a shared machine), beside a plain stream read of the
//   same file with Node's fs in the same run; ratio = import MB/s ÷ plain read MB/s.
//   node bench/data-import.bench.ts [--tickers 2700] [--days 1260] [--lib path/to/lib/index.ts]
// --lib runs another checkout's importer (e.g. an older caplab, for a before/after figure).
import { spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { syntheticPrices } from '../lib/index.ts';

const { values } = parseArgs({
  options: { tickers: { type: 'string', default: '2700' }, days: { type: 'string', default: '1260' }, lib: { type: 'string' } },
});
const tickers = Number(values.tickers);
const days = Number(values.days);
const lib = values.lib ? pathToFileURL(resolve(values.lib)).href : new URL('../lib/index.ts', import.meta.url).href;
const MB = 1e6;
const BLOCK = 300;

/** Writes the CSV a block of tickers at a time (the bench itself never holds the whole file). */
async function writeCsv(path: string, order: 'grouped' | 'scattered'): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.write('date,open,high,low,close,volume,Name\n');
    for (let first = 0; first < tickers; first += BLOCK) {
      const p = syntheticPrices({ tickers: Math.min(BLOCK, tickers - first), first, days, seed: 42 });
      const line = (s: (typeof p.series)[number], t: number) =>
        `${p.dates[t]},${s.open[t].toFixed(4)},${s.high[t].toFixed(4)},${s.low[t].toFixed(4)},${s.close[t].toFixed(4)},${s.volume[t]},${s.ticker}\n`;
      const lines: string[] = [];
      if (order === 'grouped') for (const s of p.series) for (let t = 0; t < p.dates.length; t++) lines.push(line(s, t));
      else for (let t = 0; t < p.dates.length; t++) for (const s of p.series) lines.push(line(s, t));
      await fh.write(lines.join(''));
    }
  } finally {
    await fh.close();
  }
}

async function plainReadSeconds(path: string): Promise<number> {
  const t0 = performance.now();
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 16 })) bytes += (chunk as Buffer).length;
  return (performance.now() - t0) / 1000;
}

const root = await mkdtemp(join(process.env.CAPLAB_BENCH_DIR ?? tmpdir(), 'caplab-bench-import-'));
try {
  for (const order of ['grouped', 'scattered'] as const) {
    const csv = join(root, `${order}.csv`);
    await writeCsv(csv, order);
    const fileBytes = (await stat(csv)).size;
    const code = `const { importCsv } = await import(${JSON.stringify(lib)});
const s = await importCsv([${JSON.stringify(csv)}], { out: ${JSON.stringify(join(root, `out-${order}`))}, force: true });
const u = process.resourceUsage();
console.log(JSON.stringify({ rows: s.rows, seconds: s.seconds, cpu: (u.userCPUTime + u.systemCPUTime) / 1e6, peak: u.maxRSS * 1024 }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    const m = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { rows: number; seconds: number; cpu: number; peak: number };
    const readSeconds = await plainReadSeconds(csv);
    const csvRows = tickers * (days + 61);
    console.log(JSON.stringify({
      bench: 'data-import-memory', order, lib: values.lib ?? 'this checkout', csv_rows: csvRows, file_mb: round(fileBytes / MB),
      caplab_peak_rss_mb: round(m.peak / MB), peer: 'CSV file size', peer_mb: round(fileBytes / MB), ratio: round(m.peak / fileBytes),
    }));
    console.log(JSON.stringify({
      bench: 'data-import-speed', order, lib: values.lib ?? 'this checkout', rows: m.rows, caplab_seconds: round(m.seconds), caplab_cpu_seconds: round(m.cpu),
      caplab_rows_per_s: Math.round(m.rows / m.seconds), caplab_csv_rows_per_s: Math.round(csvRows / m.seconds), caplab_mb_per_s: round(fileBytes / MB / m.seconds),
      peer: 'node fs stream read of the same file', peer_seconds: round(readSeconds), peer_mb_per_s: round(fileBytes / MB / readSeconds),
      ratio: round(readSeconds / m.seconds),
    }));
    await rm(csv);
    await rm(join(root, `out-${order}`), { recursive: true, force: true });
  }
} finally {
  await rm(root, { recursive: true, force: true });
}

function round(v: number): number {
  return Number(v.toPrecision(4));
}
