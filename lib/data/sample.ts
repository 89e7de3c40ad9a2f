/** Small views of data for notebooks: price paths, a row sample, a correlation matrix. */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { CaplabError } from '../errors.ts';
import { readManifest, type Split, SPLITS } from './manifest.ts';
import { readNpyHeader } from './npy.ts';
import { allocSeries, marketFactors, simulateTicker, syntheticDate } from './market.ts';
import { WARMUP } from './features.ts';
import { weekdays } from './calendar.ts';
import { checkInteger } from './options.ts';
import { withDefaults } from '../util/defaults.ts';
import { seededRng, STREAM } from '../util/random.ts';

/** The name of synthetic ticker `id`: SYN00000, SYN00001, … */
export function syntheticTickerName(id: number): string {
  return `SYN${String(id).padStart(5, '0')}`;
}

export interface SyntheticPricesOptions {
  /** How many tickers (ids first … first + tickers − 1). Default 5. */
  tickers?: number;
  /** First ticker id. Default 0. */
  first?: number;
  /** Row days, as in `generateDataset` (the path has 60 warm-up days before and one after). Default 1260. */
  days?: number;
  /** Market seed. Default 42. */
  seed?: number;
}

export interface SyntheticPrices {
  dates: string[];
  series: Array<{ id: number; ticker: string; sector: number; open: number[]; high: number[]; low: number[]; close: number[]; volume: number[] }>;
}

/**
 * Daily prices of a few synthetic tickers: the very paths `generateDataset` with the same seed
 * and days turns into rows.
 */
export function syntheticPrices(options: SyntheticPricesOptions = {}): SyntheticPrices {
  const o = withDefaults({ tickers: 5, first: 0, days: 1260, seed: 42 }, options);
  checkInteger('tickers', o.tickers, 1, 10_000);
  checkInteger('first', o.first, 0);
  checkInteger('days', o.days, 1, 100_000);
  checkInteger('seed', o.seed, 0);
  const priceDays = WARMUP + o.days + 1;
  const factors = marketFactors(o.seed, priceDays);
  const s = allocSeries(priceDays);
  const series: SyntheticPrices['series'] = [];
  for (let id = o.first; id < o.first + o.tickers; id++) {
    const profile = simulateTicker(o.seed, id, factors, s);
    series.push({ id, ticker: syntheticTickerName(id), sector: profile.sector, open: Array.from(s.open), high: Array.from(s.high), low: Array.from(s.low), close: Array.from(s.close), volume: Array.from(s.volume) });
  }
  return { dates: weekdays(syntheticDate(0, WARMUP), priceDays), series };
}

export interface SampleOptions {
  /** Which split to sample. Default 'train'. */
  split?: Split;
  /** How many rows: one drawn at random from each of `rows` equal stretches of the split. Default 500. */
  rows?: number;
  /** Seed of the draw; same seed, same rows. Default 0. */
  seed?: number;
}

export interface DatasetSample {
  split: Split;
  features: string[];
  target: string;
  /** One array per row. */
  x: number[][];
  y: number[];
  /** [ticker id, day index] per row. */
  meta: number[][];
  /** Position of each row in the split (shards in manifest order). */
  index: number[];
  /** Ticker name and ISO date of each row. */
  ticker: string[];
  date: string[];
}

/** A sample as named columns (ticker, date, each feature, the target), ready for `dataFrame`. */
export function sampleColumns(sample: DatasetSample): Record<string, Array<string | number>> {
  const cols: Record<string, Array<string | number>> = { ticker: sample.ticker, date: sample.date };
  sample.features.forEach((f, j) => (cols[f] = sample.x.map((r) => r[j])));
  cols[sample.target] = sample.y;
  return cols;
}

/**
 * Reads `rows` rows spread over a split, row by row from the shards (the split is never loaded
 * whole), for tables and plots. Each row is drawn at random within its stretch of the split: an
 * even stride would hit the same date of every ticker, as rows are stored ticker by ticker.
 */
export async function readDatasetSample(dir: string, options: SampleOptions = {}): Promise<DatasetSample> {
  const split = options.split ?? 'train';
  if (!SPLITS.includes(split)) throw new CaplabError('bad-option', `split must be one of ${SPLITS.join(', ')}, got ${JSON.stringify(split)}.`);
  const want = checkInteger('rows', options.rows ?? 500, 1, 1_000_000);
  const draw = seededRng(checkInteger('seed', options.seed ?? 0, 0), STREAM.sample);
  const m = await readManifest(dir);
  const F = m.features.length;
  const shards = m.shards.filter((s) => s.split === split && s.rows > 0);
  const total = shards.reduce((a, s) => a + s.rows, 0);
  const n = Math.min(want, total);
  const sample: DatasetSample = { split, features: m.features, target: m.target, x: [], y: [], meta: [], index: [], ticker: [], date: [] };
  // n ≤ total, so each stretch holds at least one row and the draws are distinct and increasing.
  const globals = Array.from({ length: n }, (_, k) => Math.min(total - 1, Math.floor(((k + draw.uniform()) * total) / n)));
  let k = 0;
  let before = 0;
  for (const shard of shards) {
    const picks: number[] = [];
    for (; k < n; k++) {
      const global = globals[k];
      if (global >= before + shard.rows) break;
      picks.push(global - before);
    }
    before += shard.rows;
    if (picks.length === 0) continue;
    const xs = await readRows(join(dir, shard.x.file), picks, F);
    const ys = await readRows(join(dir, shard.y.file), picks, 1);
    const ms = shard.meta ? await readRows(join(dir, shard.meta.file), picks, 2) : picks.map(() => [-1, -1]);
    sample.x.push(...xs);
    sample.y.push(...ys.map((r) => r[0]));
    sample.meta.push(...ms);
    sample.index.push(...picks.map((p) => p + before - shard.rows));
  }
  const warmup = m.source.warmupDays ?? WARMUP;
  for (const [id, day] of sample.meta) {
    sample.ticker.push(m.tickers?.[id] ?? syntheticTickerName(id));
    sample.date.push(m.dates?.[day] ?? (m.source.type === 'synthetic' ? syntheticDate(day, warmup) : String(day)));
  }
  return sample;
}

async function readRows(path: string, rows: number[], width: number): Promise<number[][]> {
  const header = await readNpyHeader(path);
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(width * 4);
    const out: number[][] = [];
    for (const r of rows) {
      await fh.read(buf, 0, buf.length, header.dataOffset + r * width * 4);
      const row: number[] = [];
      for (let c = 0; c < width; c++) row.push(header.dtype === '<f4' ? buf.readFloatLE(c * 4) : buf.readInt32LE(c * 4));
      out.push(row);
    }
    return out;
  } finally {
    await fh.close();
  }
}

/** Pearson correlations between every feature and the target (last row and column). */
export function featureCorrelation(sample: Pick<DatasetSample, 'features' | 'target' | 'x' | 'y'>): { names: string[]; matrix: number[][] } {
  const names = [...sample.features, sample.target];
  const cols = names.map((_, j) => (j < sample.features.length ? sample.x.map((r) => r[j]) : sample.y));
  const mean = cols.map((c) => c.reduce((a, b) => a + b, 0) / Math.max(c.length, 1));
  const centred = cols.map((c, j) => c.map((v) => v - mean[j]));
  const norm = centred.map((c) => Math.sqrt(c.reduce((a, b) => a + b * b, 0)));
  const matrix = centred.map((a, i) =>
    centred.map((b, j) => {
      if (norm[i] === 0 || norm[j] === 0) return i === j ? 1 : 0;
      let s = 0;
      for (let r = 0; r < a.length; r++) s += a[r] * b[r];
      return s / (norm[i] * norm[j]);
    }),
  );
  return { names, matrix };
}

/** The ISO date of a row's day index, for synthetic datasets (weekdays from the first row date). */
export function syntheticRowDate(day: number): string {
  return syntheticDate(day, WARMUP);
}

/**
 * Synthetic prices as CSV text in the S&P 500 five-year layout (date,open,high,low,close,volume,Name),
 * for trying `importCsv` without real data and for test fixtures.
 */
export function syntheticCsv(options: SyntheticPricesOptions = {}): string {
  const p = syntheticPrices(options);
  const lines = ['date,open,high,low,close,volume,Name'];
  for (const s of p.series) {
    for (let t = 0; t < p.dates.length; t++) {
      lines.push(`${p.dates[t]},${s.open[t].toFixed(4)},${s.high[t].toFixed(4)},${s.low[t].toFixed(4)},${s.close[t].toFixed(4)},${s.volume[t]},${s.ticker}`);
    }
  }
  return lines.join('\n') + '\n';
}
