/**
 * Each ticker's accepted CSV rows parked on disk, in read order, while the files are scanned: the
 * importer then loads one ticker at a time, so its memory is one ticker's rows plus a fixed
 * buffer whatever the file size, and whatever the row order (rows of a ticker may be scattered
 * over the whole file, or over several files). A row is 8 float64 values, all exact: date (days
 * since 1970), open, high, low, close, volume, file index, line number.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const FIELDS = 8;
/** Rows held in memory over all tickers before they go to disk: 8 MiB. */
const BUFFER_ROWS = 1 << 17;

export class TickerSpill {
  private readonly dir: string;
  private readonly limit: number;
  private buffers: Array<Float64Array | undefined> = [];
  private fill: number[] = [];
  private buffered = 0;

  /** `dir`: an empty folder this spill owns; `bufferRows`: rows held before a flush (default 131,072). */
  constructor(dir: string, bufferRows = BUFFER_ROWS) {
    this.dir = dir;
    this.limit = bufferRows;
  }

  /** Parks one row of ticker `id` (0, 1, … in order of first sight). */
  add(id: number, date: number, open: number, high: number, low: number, close: number, volume: number, file: number, line: number): void {
    let buf = this.buffers[id];
    const at = this.fill[id] ?? 0;
    if (!buf || at + FIELDS > buf.length) {
      const grown = new Float64Array(Math.max(64 * FIELDS, (buf?.length ?? 0) * 2));
      if (buf) grown.set(buf.subarray(0, at));
      buf = this.buffers[id] = grown;
    }
    buf[at] = date;
    buf[at + 1] = open;
    buf[at + 2] = high;
    buf[at + 3] = low;
    buf[at + 4] = close;
    buf[at + 5] = volume;
    buf[at + 6] = file;
    buf[at + 7] = line;
    this.fill[id] = at + FIELDS;
    if (++this.buffered >= this.limit) this.flush();
  }

  /**
   * Appends every buffered row to its ticker's file and drops the buffers (their memory too: a
   * kept buffer would grow to each ticker's full row count over the flushes).
   */
  flush(): void {
    for (let id = 0; id < this.buffers.length; id++) {
      const buf = this.buffers[id];
      if (!buf || !this.fill[id]) continue;
      appendFileSync(this.file(id), new Uint8Array(buf.buffer, 0, this.fill[id] * 8));
    }
    this.buffers = [];
    this.fill = [];
    this.buffered = 0;
  }

  /** Ticker `id`'s rows in read order, FIELDS values each (call `flush` after the last `add`). */
  load(id: number): Float64Array {
    const bytes = readFileSync(this.file(id));
    if (bytes.byteOffset % 8 === 0) return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
    return new Float64Array(new Uint8Array(bytes).buffer);
  }

  private file(id: number): string {
    return join(this.dir, `${id}.f64`);
  }
}

/** Column offsets of a spilled row. */
export const SPILL = { fields: FIELDS, date: 0, open: 1, high: 2, low: 3, close: 4, volume: 5, file: 6, line: 7 } as const;
