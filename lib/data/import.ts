/** `importCsv`: real daily OHLCV files turned into a dataset with the same features and split. */
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { CaplabError } from '../errors.ts';
import type { ProgressHook } from '../progress.ts';
import { checkOutputTarget } from '../util/atomic.ts';
import { makeTempDir } from '../util/temp-dir.ts';
import { isoDate } from './calendar.ts';
import { rowWhere, scanOhlcvCsv, sortTicker, type CsvCounts, type EmptyOhlPolicy, type RawTicker } from './csv.ts';
import { TickerSpill, SPILL } from './csv-spill.ts';
import { DateSet } from './date-set.ts';
import { isDatasetFolder } from './manifest.ts';
import { MIN_HISTORY, WARMUP } from './features.ts';
import { summarize, type DatasetSummary } from './generate.ts';
import type { OhlcvSeries } from './market.ts';
import { checkInteger, checkOut } from './options.ts';
import { withDefaults } from '../util/defaults.ts';
import { dateSplit } from './split.ts';
import { writeDataset } from './writer.ts';

export interface ImportOptions {
  /** Folder to write (must not exist unless `force`). Required. */
  out: string;
  /** Replace an existing `out` folder. Default false. */
  force?: boolean;
  /**
   * Leave out tickers with fewer than MIN_HISTORY (62) trading days instead of failing.
   * Default false: such a ticker is an error naming it.
   */
  skipShort?: boolean;
  /**
   * Rows with an empty open, high or low: 'fill' them from the close (open = close, high/low =
   * the larger/smaller of open and close) or 'skip' the row. Default 'fill': the day's close, the
   * value every feature but the day's range depends on, is real. Recorded in the manifest.
   */
  emptyOhl?: EmptyOhlPolicy;
  /** Skip (and count) rows with out-of-range values instead of failing on the first. Default false. */
  skipBadRows?: boolean;
  /** Tickers per shard group. Default 100. */
  shardTickers?: number;
  onProgress?: ProgressHook;
}

export const IMPORT_DEFAULTS: Required<Pick<ImportOptions, 'force' | 'skipShort' | 'shardTickers' | 'emptyOhl' | 'skipBadRows'>> = {
  force: false,
  skipShort: false,
  shardTickers: 100,
  emptyOhl: 'fill',
  skipBadRows: false,
};

export interface ImportSummary extends DatasetSummary {
  /** What was filled, skipped or left out while reading. */
  notes: string[];
}

/** Dates are UTC midnights in milliseconds; the date index counts days. */
const DAY_MS = 86_400_000;

/** What the scan keeps of a ticker: its name, row count and dates; the rows themselves are spilled. */
interface TickerIndex {
  name: string;
  /** Spill id: order of first sight. */
  id: number;
  rows: number;
  /** Days since 1970. */
  dates: DateSet;
  /** Whether a date came twice (the error is raised in name order, after the scan, as before). */
  duplicate: boolean;
}

/**
 * Imports daily OHLCV CSV files (date, open, high, low, close, volume, Name; many tickers in one
 * file or one per file). Tickers are numbered by name; features, target and split are those of
 * the synthetic data.
 *
 * Streamed in two passes: the scan checks every row, indexes each ticker's dates and parks its
 * rows in a per-ticker spill file beside the output; the writer then loads one ticker at a time
 * in name order. Memory is one ticker's rows, one shard group and a fixed buffer, in any row
 * order.
 *
 * @example await importCsv(['all_stocks_5yr.csv'], { out: 'data/sp500' })
 */
export async function importCsv(files: string[], options: ImportOptions): Promise<ImportSummary> {
  const start = performance.now();
  const o = withDefaults(IMPORT_DEFAULTS, options);
  const out = checkOut(o.out);
  const shardTickers = checkInteger('shardTickers', o.shardTickers, 1);
  // The output is checked before any CSV is read: a refusal should not wait for a big file.
  await checkOutputTarget(out, { force: o.force, isOurs: isDatasetFolder, noun: 'dataset folder' });
  const spillDir = await makeTempDir(await spillTarget(out));
  let opened: TickerSpill | undefined;
  try {
    const spill = (opened = new TickerSpill(spillDir.path));
    const byName = new Map<string, TickerIndex>();
    const read = await scanOhlcvCsv(files, { emptyOhl: o.emptyOhl, skipBadRows: o.skipBadRows }, (name, date, open, high, low, close, volume, file, line) => {
      let t = byName.get(name);
      if (!t) {
        // A copy: the name is a slice of a 64 KiB read chunk, which it would otherwise keep alive.
        const own = Buffer.from(name, 'utf8').toString('utf8');
        t = { name: own, id: byName.size, rows: 0, dates: new DateSet(), duplicate: false };
        byName.set(own, t);
      }
      t.rows++;
      if (!t.dates.add(date / DAY_MS)) t.duplicate = true;
      spill.add(t.id, date, open, high, low, close, volume, file, line);
    });
    spill.flush();
    o.onProgress?.({ kind: 'message', text: `read ${byName.size} tickers from ${files.length} file(s)` });
    const loadRows = (t: TickerIndex) => spill.load(t.id);
    const loadRaw = (t: TickerIndex): RawTicker => rawTicker(t.name, loadRows(t), files);
    const notes = [...read.notes];
    const kept: TickerIndex[] = [];
    for (const name of [...byName.keys()].sort()) {
      const t = byName.get(name)!;
      // Loaded only to name the rows in the error: sortTicker throws on the first date seen twice.
      if (t.duplicate) sortTicker(loadRaw(t));
      if (t.rows < MIN_HISTORY) {
        if (o.skipShort) {
          notes.push(`Left out ${name}: ${t.rows} trading days, fewer than the ${MIN_HISTORY} the features need.`);
          continue;
        }
        const sorted = sortTicker(loadRaw(t));
        throw new CaplabError('csv-short-history', `Ticker ${name} has ${t.rows} trading days (${t.rows > 0 ? rowWhere(sorted, 0) : files[0]} …); the features need at least ${MIN_HISTORY} (${WARMUP} days of history, the day itself and the next day for the target).`, {
          hint: 'Remove its rows, add more history, or pass --skip-short to leave such tickers out.',
        });
      }
      kept.push(t);
    }
    if (kept.length === 0) {
      throw new CaplabError('csv-no-rows', `No ticker in ${files.join(', ')} has enough history (${MIN_HISTORY} trading days) to make a dataset.`, {
        hint: 'Import files with longer price histories.',
      });
    }
    return { ...summarize(out, await writeTickers(out, files, o, shardTickers, kept, read, loadRows), start), notes };
  } finally {
    opened?.close();
    await spillDir.remove();
  }
}

/**
 * Where the spill folder goes: beside the output (same disk, swept like its temp folders if the
 * import is killed), or in the system's temp folder while the output's parent does not exist yet
 * (the import does not make folders before its input is known to be good).
 */
async function spillTarget(out: string): Promise<string> {
  const parent = dirname(resolve(out));
  const isDir = await stat(parent).then((s) => s.isDirectory(), () => false);
  return join(isDir ? parent : tmpdir(), `${basename(resolve(out))}.csv-rows`);
}

/** A spilled ticker as the reader's RawTicker, rows in read order. */
function rawTicker(name: string, rows: Float64Array, files: string[]): RawTicker {
  const n = rows.length / SPILL.fields;
  const col = (k: number) => Array.from({ length: n }, (_, i) => rows[i * SPILL.fields + k]);
  return { name, date: col(SPILL.date), open: col(SPILL.open), high: col(SPILL.high), low: col(SPILL.low), close: col(SPILL.close), volume: col(SPILL.volume), file: col(SPILL.file), line: col(SPILL.line), files };
}

/** The calendar, the split and the shards, one ticker loaded at a time. */
async function writeTickers(out: string, files: string[], o: Required<Pick<ImportOptions, 'force' | 'skipBadRows'>> & ImportOptions, shardTickers: number, kept: TickerIndex[], read: CsvCounts, loadRows: (t: TickerIndex) => Float64Array) {
  const F = SPILL.fields;
  // One calendar for all tickers: the union of their dates; a row's day index is its place in it.
  const all = new DateSet();
  for (const t of kept) for (const d of t.dates.toArray()) all.add(d);
  const days = all.toArray();
  const calendar = Array.from(days, (d) => d * DAY_MS);
  // Calendar index by day number, as an array over the calendar's span: a look-up per row.
  const first = days[0];
  const indexOfDay = new Int32Array(days[days.length - 1] - first + 1);
  days.forEach((d, i) => (indexOfDay[d - first] = i));
  const dayIndices = (t: TickerIndex) => {
    const own = t.dates.toArray();
    for (let k = 0; k < own.length; k++) own[k] = indexOfDay[own[k] - first];
    return own;
  };
  let firstRow = Infinity;
  let endRow = -Infinity;
  for (const t of kept) {
    const day = dayIndices(t);
    firstRow = Math.min(firstRow, day[WARMUP]);
    endRow = Math.max(endRow, day[day.length - 2] + 1);
  }
  const split = dateSplit(firstRow, endRow);
  // The writer asks for a ticker's days to size its group, then loads it; only the ticker being
  // loaded (and its rows' origins, for an error) is held.
  let current: { i: number; series: OhlcvSeries; origin: Float64Array; order: Int32Array } | null = null;
  const load = (i: number) => {
    if (current?.i !== i) {
      const rows = loadRows(kept[i]);
      const n = rows.length / F;
      // In date order; the scan found no date twice. Rows usually come sorted: no sort then.
      const order = Int32Array.from({ length: n }, (_, k) => k);
      let sorted = true;
      for (let k = 1; k < n && sorted; k++) sorted = rows[k * F] > rows[(k - 1) * F];
      if (!sorted) order.sort((a, b) => rows[a * F] - rows[b * F]);
      const series: OhlcvSeries = { n, open: new Float64Array(n), high: new Float64Array(n), low: new Float64Array(n), close: new Float64Array(n), volume: new Float64Array(n), day: new Int32Array(n) };
      for (let k = 0; k < n; k++) {
        const r = order[k] * F;
        series.day[k] = indexOfDay[rows[r + SPILL.date] / DAY_MS - first];
        series.open[k] = rows[r + SPILL.open];
        series.high[k] = rows[r + SPILL.high];
        series.low[k] = rows[r + SPILL.low];
        series.close[k] = rows[r + SPILL.close];
        series.volume[k] = rows[r + SPILL.volume];
      }
      current = { i, series, origin: rows, order };
    }
    return current;
  };
  const where = (i: number, t: number) => {
    const { origin, order } = load(i);
    const r = order[t] * F;
    return `${kept[i].name} ${files[origin[r + SPILL.file]]}:${origin[r + SPILL.line]}`;
  };
  const { manifest } = await writeDataset({
    out,
    force: o.force,
    what: 'data import',
    rows: kept.reduce((a, t) => a + Math.max(0, t.rows - WARMUP - 1), 0),
    shardTickers,
    split,
    onProgress: o.onProgress,
    source: {
      count: kept.length,
      days: (i) => {
        const day = dayIndices(kept[i]);
        return { day, n: day.length };
      },
      load: (i) => load(i).series,
      where,
    },
    manifest: {
      source: {
        type: 'csv',
        tickers: kept.length,
        days: calendar.length,
        files: files.map((f) => resolve(f)),
        warmupDays: WARMUP,
        rowPolicy: {
          emptyOhl: read.emptyOhl,
          filledValues: read.filledValues,
          skippedEmptyOhl: read.skippedEmptyOhl,
          skippedEmptyClose: read.skippedRows,
          skipBadRows: o.skipBadRows,
          skippedBadRows: read.skippedBadRows,
        },
      },
      split: {
        firstDate: isoDate(calendar[firstRow]),
        validationStart: isoDate(calendar[split.validationStart]),
        testStart: isoDate(calendar[split.testStart]),
        lastDate: isoDate(calendar[endRow - 1]),
      },
      generator: { name: 'caplab-csv-import', version: '1' },
      tickers: kept.map((t) => t.name),
      dates: calendar.map(isoDate),
    },
  });
  return manifest;
}
