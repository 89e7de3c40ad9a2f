/**
 * Reads daily OHLCV CSV files (columns date, open, high, low, close, volume, Name — the common
 * S&P 500 five-year layout) into one price series per ticker, checking every value on the way.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { createInterface } from 'node:readline';
import { CaplabError, type ErrorCode } from '../errors.ts';
import { parseDecimal } from '../util/numbers.ts';
import { isoDate, parseIsoDate } from './calendar.ts';

export const CSV_COLUMNS = ['date', 'open', 'high', 'low', 'close', 'volume'] as const;
/** Accepted headers for the ticker column; without one, the file name is the ticker. */
const NAME_COLUMNS = ['name', 'ticker', 'symbol'];

/** One ticker's rows as read, in file order. */
export interface RawTicker {
  name: string;
  date: number[];
  open: number[];
  high: number[];
  low: number[];
  close: number[];
  volume: number[];
  /** Where each row came from, for error messages: index into `files`, and line number. */
  file: number[];
  line: number[];
  files: string[];
}

/** "file:line" of row i of a ticker. */
export function rowWhere(t: RawTicker, i: number): string {
  return `${t.files[t.file[i]]}:${t.line[i]}`;
}

/**
 * What to do with a row whose open, high or low is empty (real exports have a few: the common
 * S&P 500 five-year file has about 11, 8 and 8). 'fill' (the default): open ← close, high ←
 * max(open, close), low ← min(open, close), so the day keeps its close and the row its place in
 * the ticker's history. 'skip': leave the row out.
 */
export type EmptyOhlPolicy = 'fill' | 'skip';
export const EMPTY_OHL_POLICIES: readonly EmptyOhlPolicy[] = ['fill', 'skip'];

export interface CsvReadOptions {
  /** Default 'fill'. */
  emptyOhl?: EmptyOhlPolicy;
  /**
   * Skip (and count) rows with a value out of range (a price ≤ 0 or above 1e9, a high below the
   * low, an open or close outside the day's range, a negative volume) instead of failing on the
   * first. Default false. Text that is not a number is always an error.
   */
  skipBadRows?: boolean;
}

/** Prices are taken between these (currency units); outside them a value is not a price. */
export const PRICE_RANGE = { min: 1e-6, max: 1e9 } as const;
/** Volumes are taken up to this. */
export const MAX_VOLUME = 1e15;
/** Longest line read (a longer one is not a CSV row of this layout). */
export const MAX_LINE_CHARS = 65_536;
/** Most rows `readOhlcvCsv` reads over all files: it holds every row in memory (~100 bytes each). */
export const MAX_CSV_ROWS = 20_000_000;

export interface CsvReadResult {
  tickers: Map<string, RawTicker>;
  /** Empty open/high/low cells filled (policy 'fill'). */
  filledValues: number;
  /** Rows dropped because close or volume was empty. */
  skippedRows: number;
  /** Rows dropped because open, high or low was empty (policy 'skip'). */
  skippedEmptyOhl: number;
  /** Rows dropped for an out-of-range value (skipBadRows). */
  skippedBadRows: number;
  emptyOhl: EmptyOhlPolicy;
  notes: string[];
}

/** Splits one CSV line, honouring double quotes. */
function splitLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function bad(code: ErrorCode, message: string, hint: string): CaplabError {
  return new CaplabError(code, message, { hint });
}

/** Receives each accepted row, in file order; `file` indexes the files given, `line` counts from 1. */
export type CsvRowSink = (name: string, date: number, open: number, high: number, low: number, close: number, volume: number, file: number, line: number) => void;

/** What a scan filled and skipped, by the row policy. */
export type CsvCounts = Omit<CsvReadResult, 'tickers'>;

export interface CsvScanOptions extends CsvReadOptions {
  /** Most rows accepted over all files before `csv-too-big`. Default: no limit. */
  maxRows?: number;
}

/**
 * Reads `files` row by row, checking every value, and hands each accepted row to `onRow`: the
 * caller decides what to keep, so a scan holds one line at a time. Throws on the first bad value.
 */
export async function scanOhlcvCsv(files: string[], options: CsvScanOptions, onRow: CsvRowSink): Promise<CsvCounts> {
  if (files.length === 0) {
    throw bad('csv-none', 'No CSV files given.', 'Pass one or more files, e.g. `caplab data import all_stocks_5yr.csv --out data/sp500`.');
  }
  const emptyOhl = options.emptyOhl ?? 'fill';
  if (!EMPTY_OHL_POLICIES.includes(emptyOhl)) {
    throw new CaplabError('bad-option', `emptyOhl must be ${EMPTY_OHL_POLICIES.join(' or ')}, got ${JSON.stringify(emptyOhl)}.`);
  }
  const counts: CsvCounts = { filledValues: 0, skippedRows: 0, skippedEmptyOhl: 0, skippedBadRows: 0, emptyOhl, notes: [] };
  const dates = new Map<string, number | null>();
  const count = { rows: 0, max: options.maxRows ?? Infinity };
  for (let i = 0; i < files.length; i++) await readOne(files, i, counts, dates, options.skipBadRows ?? false, count, onRow);
  if (counts.filledValues > 0) counts.notes.push(`${counts.filledValues} empty open/high/low values were filled from the close (open = close, high/low = the larger/smaller of open and close).`);
  if (counts.skippedEmptyOhl > 0) counts.notes.push(`${counts.skippedEmptyOhl} rows with an empty open, high or low were skipped.`);
  if (counts.skippedRows > 0) counts.notes.push(`${counts.skippedRows} rows with an empty close or volume were skipped.`);
  if (counts.skippedBadRows > 0) counts.notes.push(`${counts.skippedBadRows} rows with an out-of-range value were skipped.`);
  return counts;
}

/** Reads `files` (several files may hold the same ticker's rows) into memory, one RawTicker each; throws on the first bad value. */
export async function readOhlcvCsv(files: string[], options: CsvReadOptions = {}): Promise<CsvReadResult> {
  const tickers = new Map<string, RawTicker>();
  const counts = await scanOhlcvCsv(files, { ...options, maxRows: MAX_CSV_ROWS }, (name, date, open, high, low, close, volume, file, line) => {
    let t = tickers.get(name);
    if (!t) {
      t = { name, date: [], open: [], high: [], low: [], close: [], volume: [], file: [], line: [], files };
      tickers.set(name, t);
    }
    t.date.push(date);
    t.open.push(open);
    t.high.push(high);
    t.low.push(low);
    t.close.push(close);
    t.volume.push(volume);
    t.file.push(file);
    t.line.push(line);
  });
  return { tickers, ...counts };
}

/**
 * The lines of a file, without line ends; throws when a line grows past MAX_LINE_CHARS instead
 * of holding an unbounded line in memory (readline would).
 */
async function* boundedLines(file: string): AsyncGenerator<string> {
  let buf = '';
  let lineNo = 1;
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 16 })) {
    buf += chunk as string;
    let at: number;
    while ((at = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, at);
      buf = buf.slice(at + 1);
      lineNo++;
      yield line.endsWith('\r') ? line.slice(0, -1) : line;
    }
    if (buf.length > MAX_LINE_CHARS) {
      throw bad('csv-row', `${file}:${lineNo}: the line is longer than ${MAX_LINE_CHARS.toLocaleString('en-US')} characters.`, 'This is not a daily OHLCV CSV row; check the file (is it binary, or one huge line?).');
    }
  }
  if (buf.length > 0) yield buf.endsWith('\r') ? buf.slice(0, -1) : buf;
}

/** Why a row's values do not make sense as a day's prices, or null when they do. */
function priceProblem(open: number, high: number, low: number, close: number, volume: number): { column: string; message: string } | null {
  for (const [column, v] of [['open', open], ['high', high], ['low', low], ['close', close]] as const) {
    if (!(v >= PRICE_RANGE.min && v <= PRICE_RANGE.max)) {
      return { column, message: `${column} is ${v}; prices must be positive, from ${PRICE_RANGE.min} to ${PRICE_RANGE.max.toExponential()}` };
    }
  }
  if (!(volume >= 0 && volume <= MAX_VOLUME)) return { column: 'volume', message: `volume is ${volume}; volume cannot be negative or above ${MAX_VOLUME.toExponential()}` };
  if (high < low) return { column: 'high', message: `high ${high} is below low ${low}` };
  // A tiny tolerance: exports round each price on its own.
  const eps = 1e-9 * high;
  if (open < low - eps || open > high + eps) return { column: 'open', message: `open ${open} is outside the day's range [${low}, ${high}]` };
  if (close < low - eps || close > high + eps) return { column: 'close', message: `close ${close} is outside the day's range [${low}, ${high}]` };
  return null;
}

async function readOne(files: string[], fileIndex: number, result: CsvCounts, dates: Map<string, number | null>, skipBad: boolean, count: { rows: number; max: number }, onRow: CsvRowSink): Promise<void> {
  const file = files[fileIndex];
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new Error('not a file');
  } catch (e) {
    throw new CaplabError('csv-missing', `Cannot read CSV file ${file}.`, { hint: 'Check the path.', cause: e });
  }
  const lines = boundedLines(file);
  let lineNo = 0;
  let cols: number[] | null = null;
  let nameCol = -1;
  let width = 0;
  const fileTicker = basename(file, extname(file)).replace(/_data$/i, '');
  for await (const raw of lines) {
    lineNo++;
    const line = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (line.trim() === '') continue;
    const fields = splitLine(line);
    if (!cols) {
      const header = fields.map((f) => f.trim().toLowerCase());
      const missing = CSV_COLUMNS.filter((c) => !header.includes(c));
      if (missing.length > 0) {
        throw bad('csv-column', `${file}:${lineNo}: the header has no ${missing.map((m) => `"${m}"`).join(', ')} column (found: ${fields.join(', ')}).`,
          `The CSV needs columns ${CSV_COLUMNS.join(', ')} and Name (the ticker); rename or add the missing column.`);
      }
      cols = CSV_COLUMNS.map((c) => header.indexOf(c));
      nameCol = header.findIndex((h) => NAME_COLUMNS.includes(h));
      width = header.length;
      continue;
    }
    const where = () => `${file}:${lineNo}`;
    if (fields.length < width) {
      throw bad('csv-row', `${where()}: the row has ${fields.length} fields, the header has ${width}.`, 'Fix or remove the line.');
    }
    const name = nameCol >= 0 ? fields[nameCol].trim() : fileTicker;
    if (name === '') throw bad('csv-value', `${where()}: the Name (ticker) field is empty.`, 'Fill in the ticker symbol or remove the line.');
    const dateText = fields[cols[0]];
    // A file repeats each date once per ticker: parse each distinct text once.
    let date = dates.get(dateText);
    if (date === undefined) {
      date = parseIsoDate(dateText);
      dates.set(dateText, date);
    }
    if (date === null) {
      throw bad('csv-date', `${where()}: date "${dateText.trim()}" is not a date in YYYY-MM-DD form.`, 'Write dates as YYYY-MM-DD (e.g. 2013-02-08).');
    }
    if (++count.rows > count.max) {
      throw bad('csv-too-big', `${where()}: more than ${count.max.toLocaleString('en-US')} rows; this reader holds every row in memory.`, 'Import fewer tickers or years at a time.');
    }
    const values: number[] = [];
    let emptyCore = false;
    let emptyOhl = false;
    for (let k = 1; k < CSV_COLUMNS.length; k++) {
      const column = CSV_COLUMNS[k];
      const raw = fields[cols[k]];
      const text = raw.includes('"') ? raw.trim().replace(/^"|"$/g, '') : raw.trim();
      if (text === '') {
        if (column === 'close' || column === 'volume') emptyCore = true;
        else emptyOhl = true;
        values.push(NaN);
        continue;
      }
      const v = parseDecimal(text);
      if (v === null) {
        throw bad('csv-value', `${where()}: ${column} "${text.length > 40 ? text.slice(0, 40) + '…' : text}" is not a number.`, `Write ${column} as a decimal number (e.g. 24.23), or remove the line.`);
      }
      values.push(v);
    }
    if (emptyCore) {
      result.skippedRows++;
      continue;
    }
    if (emptyOhl && result.emptyOhl === 'skip') {
      result.skippedEmptyOhl++;
      continue;
    }
    let [open, high, low] = values;
    const [, , , close, volume] = values;
    if (emptyOhl) {
      // Filled from the close, in an order that keeps low ≤ open, close ≤ high.
      if (Number.isNaN(open)) (open = close), result.filledValues++;
      if (Number.isNaN(high)) (high = Math.max(open, close)), result.filledValues++;
      if (Number.isNaN(low)) (low = Math.min(open, close)), result.filledValues++;
    }
    const problem = priceProblem(open, high, low, close, volume);
    if (problem) {
      if (skipBad) {
        result.skippedBadRows++;
        continue;
      }
      throw bad('csv-value', `${where()}: ${problem.message}.`, `Fix the ${problem.column} value or remove the line (or pass --skip-bad-rows to leave such rows out, counted).`);
    }
    onRow(name, date, open, high, low, close, volume, fileIndex, lineNo);
  }
  if (!cols) throw bad('csv-empty', `${file} is empty (no header line).`, 'Pass a CSV with a header line: date,open,high,low,close,volume,Name.');
}

/** Sorts a ticker's rows by date and rejects a date seen twice. */
export function sortTicker(t: RawTicker): RawTicker {
  const order = t.date.map((_, i) => i).sort((a, b) => t.date[a] - t.date[b]);
  for (let k = 1; k < order.length; k++) {
    const a = order[k - 1];
    const b = order[k];
    if (t.date[a] === t.date[b]) {
      const [first, second] = t.file[a] * 1e9 + t.line[a] < t.file[b] * 1e9 + t.line[b] ? [a, b] : [b, a];
      throw bad('csv-duplicate-date', `Ticker ${t.name} has two rows for ${isoDate(t.date[a])}: ${rowWhere(t, first)} and ${rowWhere(t, second)}.`,
        'Remove one of the two lines (a ticker can have one row per date).');
    }
  }
  const pick = <T>(arr: T[]) => order.map((i) => arr[i]);
  return { name: t.name, date: pick(t.date), open: pick(t.open), high: pick(t.high), low: pick(t.low), close: pick(t.close), volume: pick(t.volume), file: pick(t.file), line: pick(t.line), files: t.files };
}
