/**
 * Each ticker's accepted CSV rows parked on disk, in read order, while the files are scanned: the
 * importer then loads one ticker at a time, so its memory is one ticker's rows plus a fixed
 * buffer whatever the file size, and whatever the row order (rows of a ticker may be scattered
 * over the whole file, or over several files). A row is 8 float64 values, all exact: date (UTC
 * ms), open, high, low, close, volume, file index, line number.
 *
 * One file, appended to, and fixed buffers: each flush writes the buffered rows grouped by ticker
 * and remembers each ticker's segment, so loading a ticker reads its segments back in order. Rows
 * grouped by ticker make one or two segments a ticker; scattered rows one per ticker and flush.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const FIELDS = 8;
/** Rows held in memory before they go to disk: 8 MiB of them, twice (arrival order, then by ticker). */
const BUFFER_ROWS = 1 << 17;

export class TickerSpill {
  private readonly fd: number;
  private readonly limit: number;
  /** Rows in arrival order and their ticker ids; `sorted` is the same rows grouped by ticker. */
  private readonly rows: Float64Array;
  private readonly ids: Int32Array;
  private readonly sorted: Float64Array;
  private count = new Int32Array(64);
  private buffered = 0;
  private end = 0;
  /** Per ticker: byte offset and length of each segment, flattened. */
  private segments: number[][] = [];

  /** `dir`: a folder this spill owns (its file is removed with it); `bufferRows`: rows held before a flush (default 131,072). */
  constructor(dir: string, bufferRows = BUFFER_ROWS) {
    this.limit = bufferRows;
    this.rows = new Float64Array(bufferRows * FIELDS);
    this.sorted = new Float64Array(bufferRows * FIELDS);
    this.ids = new Int32Array(bufferRows);
    this.fd = openSync(join(dir, 'rows.f64'), 'w+');
  }

  /** Parks one row of ticker `id` (0, 1, … in order of first sight). */
  add(id: number, date: number, open: number, high: number, low: number, close: number, volume: number, file: number, line: number): void {
    const at = this.buffered * FIELDS;
    const buf = this.rows;
    buf[at] = date;
    buf[at + 1] = open;
    buf[at + 2] = high;
    buf[at + 3] = low;
    buf[at + 4] = close;
    buf[at + 5] = volume;
    buf[at + 6] = file;
    buf[at + 7] = line;
    this.ids[this.buffered] = id;
    if (id >= this.count.length) {
      const grown = new Int32Array(Math.max(id + 1, this.count.length * 2));
      grown.set(this.count);
      this.count = grown;
    }
    if (++this.buffered === this.limit) this.flush();
  }

  /**
   * Writes the buffered rows to the file in one write, grouped by ticker (a counting sort, so
   * each ticker's rows keep their order), and records each ticker's segment.
   */
  flush(): void {
    const n = this.buffered;
    if (n === 0) return;
    const { ids, rows, sorted } = this;
    const tickers = this.count.length;
    const count = this.count.fill(0);
    for (let r = 0; r < n; r++) count[ids[r]]++;
    const start = new Int32Array(tickers);
    for (let id = 1; id < tickers; id++) start[id] = start[id - 1] + count[id - 1];
    const next = Int32Array.from(start);
    for (let r = 0; r < n; r++) {
      const to = next[ids[r]]++ * FIELDS;
      for (let k = 0; k < FIELDS; k++) sorted[to + k] = rows[r * FIELDS + k];
    }
    const bytes = new Uint8Array(sorted.buffer, 0, n * FIELDS * 8);
    let done = 0;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done, this.end + done);
    for (let id = 0; id < tickers; id++) {
      if (count[id] > 0) (this.segments[id] ??= []).push(this.end + start[id] * FIELDS * 8, count[id] * FIELDS * 8);
    }
    this.end += bytes.length;
    this.buffered = 0;
  }
  /** Ticker `id`'s rows in read order, FIELDS values each (call `flush` after the last `add`). */
  load(id: number): Float64Array {
    const seg = this.segments[id] ?? [];
    let total = 0;
    for (let k = 1; k < seg.length; k += 2) total += seg[k];
    const out = new Float64Array(total / 8);
    const bytes = new Uint8Array(out.buffer);
    let at = 0;
    for (let k = 0; k < seg.length; k += 2) {
      let done = 0;
      while (done < seg[k + 1]) {
        const n = readSync(this.fd, bytes, at + done, seg[k + 1] - done, seg[k] + done);
        if (n === 0) throw new Error(`the import's row spill file ended early (ticker ${id})`);
        done += n;
      }
      at += seg[k + 1];
    }
    return out;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Column offsets of a spilled row. */
export const SPILL = { fields: FIELDS, date: 0, open: 1, high: 2, low: 3, close: 4, volume: 5, file: 6, line: 7 } as const;
