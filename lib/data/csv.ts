/**
 * Reads daily OHLCV CSV files (columns date, open, high, low, close, volume, Name — the common
 * S&P 500 five-year layout) into one price series per ticker, checking every value on the way.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { createInterface } from 'node:readline';
import { CaplabError, type ErrorCode } from '../errors.ts';
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

export interface CsvReadResult {
  tickers: Map<string, RawTicker>;
  /** Empty open/high/low cells filled with the close. */
  filledValues: number;
  /** Rows dropped because close or volume was empty. */
  skippedRows: number;
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

/** Reads `files` (several files may hold the same ticker's rows); throws on the first bad value. */
export async function readOhlcvCsv(files: string[]): Promise<CsvReadResult> {
  if (files.length === 0) {
    throw bad('csv-none', 'No CSV files given.', 'Pass one or more files, e.g. `caplab data import all_stocks_5yr.csv --out data/sp500`.');
  }
  const result: CsvReadResult = { tickers: new Map(), filledValues: 0, skippedRows: 0, notes: [] };
  const dates = new Map<string, number | null>();
  for (let i = 0; i < files.length; i++) await readOne(files, i, result, dates);
  if (result.filledValues > 0) result.notes.push(`${result.filledValues} empty open/high/low values were filled with the day's close.`);
  if (result.skippedRows > 0) result.notes.push(`${result.skippedRows} rows with an empty close or volume were skipped.`);
  return result;
}

async function readOne(files: string[], fileIndex: number, result: CsvReadResult, dates: Map<string, number | null>): Promise<void> {
  const file = files[fileIndex];
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new Error('not a file');
  } catch (e) {
    throw new CaplabError('csv-missing', `Cannot read CSV file ${file}.`, { hint: 'Check the path.', cause: e });
  }
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
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
    const values: number[] = [];
    let skip = false;
    for (let k = 1; k < CSV_COLUMNS.length; k++) {
      const column = CSV_COLUMNS[k];
      const raw = fields[cols[k]];
      const text = raw.includes('"') ? raw.trim().replace(/^"|"$/g, '') : raw.trim();
      if (text === '') {
        if (column === 'close' || column === 'volume') skip = true;
        values.push(NaN);
        continue;
      }
      const v = Number(text);
      if (!Number.isFinite(v)) {
        throw bad('csv-value', `${where()}: ${column} "${text}" is not a number.`, `Fix the ${column} value or remove the line.`);
      }
      if (v < 0 || (v === 0 && column !== 'volume')) {
        throw bad('csv-value', `${where()}: ${column} is ${text}; ${column === 'volume' ? 'volume cannot be negative' : 'prices must be positive'}.`,
          `Fix the ${column} value or remove the line.`);
      }
      values.push(v);
    }
    if (skip) {
      result.skippedRows++;
      continue;
    }
    const [open, high, low, close, volume] = values;
    let t = result.tickers.get(name);
    if (!t) {
      t = { name, date: [], open: [], high: [], low: [], close: [], volume: [], file: [], line: [], files };
      result.tickers.set(name, t);
    }
    const fill = (v: number) => {
      if (!Number.isNaN(v)) return v;
      result.filledValues++;
      return close;
    };
    t.date.push(date);
    t.open.push(fill(open));
    t.high.push(fill(high));
    t.low.push(fill(low));
    t.close.push(close);
    t.volume.push(volume);
    t.file.push(fileIndex);
    t.line.push(lineNo);
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
