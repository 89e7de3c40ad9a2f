/** `importCsv`: real daily OHLCV files turned into a dataset with the same features and split. */
import { resolve } from 'node:path';
import { CaplabError } from '../errors.ts';
import type { ProgressHook } from '../progress.ts';
import { checkOutputTarget } from '../util/atomic.ts';
import { isoDate } from './calendar.ts';
import { readOhlcvCsv, rowWhere, sortTicker, type EmptyOhlPolicy, type RawTicker } from './csv.ts';
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

/**
 * Imports daily OHLCV CSV files (date, open, high, low, close, volume, Name; many tickers in one
 * file or one per file). Tickers are numbered by name; features, target and split are those of
 * the synthetic data.
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
  const read = await readOhlcvCsv(files, { emptyOhl: o.emptyOhl, skipBadRows: o.skipBadRows });
  o.onProgress?.({ kind: 'message', text: `read ${read.tickers.size} tickers from ${files.length} file(s)` });
  const notes = [...read.notes];
  const names = [...read.tickers.keys()].sort();
  const kept: RawTicker[] = [];
  for (const name of names) {
    const t = sortTicker(read.tickers.get(name)!);
    if (t.date.length < MIN_HISTORY) {
      if (o.skipShort) {
        notes.push(`Left out ${name}: ${t.date.length} trading days, fewer than the ${MIN_HISTORY} the features need.`);
        continue;
      }
      throw new CaplabError('csv-short-history', `Ticker ${name} has ${t.date.length} trading days (${t.date.length > 0 ? rowWhere(t, 0) : files[0]} …); the features need at least ${MIN_HISTORY} (${WARMUP} days of history, the day itself and the next day for the target).`, {
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
  // One calendar for all tickers: the union of their dates; a row's day index is its place in it.
  const calendar = [...new Set(kept.flatMap((t) => t.date))].sort((a, b) => a - b);
  const dayOf = new Map(calendar.map((d, i) => [d, i]));
  const series: OhlcvSeries[] = kept.map((t) => {
    const n = t.date.length;
    return {
      n,
      open: Float64Array.from(t.open),
      high: Float64Array.from(t.high),
      low: Float64Array.from(t.low),
      close: Float64Array.from(t.close),
      volume: Float64Array.from(t.volume),
      day: Int32Array.from(t.date, (d) => dayOf.get(d)!),
    };
  });
  // reduce, not Math.min(...): a spread of many tickers would overflow the call stack.
  const firstRow = series.reduce((m, s) => Math.min(m, s.day[WARMUP]), Infinity);
  const endRow = series.reduce((m, s) => Math.max(m, s.day[s.n - 2]), -Infinity) + 1;
  const split = dateSplit(firstRow, endRow);
  const { manifest } = await writeDataset({
    out,
    force: o.force,
    what: 'data import',
    rows: series.reduce((a, s) => a + Math.max(0, s.n - WARMUP - 1), 0),
    shardTickers,
    split,
    onProgress: o.onProgress,
    source: { count: series.length, days: (i) => series[i], load: (i) => series[i], where: (i, t) => `${kept[i].name} ${rowWhere(kept[i], t)}` },
    manifest: {
      source: {
        type: 'csv',
        tickers: series.length,
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
  return { ...summarize(out, manifest, start), notes };
}
