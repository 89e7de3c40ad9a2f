/**
 * danfojs, wrapped: notebooks build and show DataFrames through these functions. danfojs is
 * loaded lazily (it pulls in all of tfjs), and its types stay behind `Frame` because tslab's
 * TypeScript 5.0 cannot resolve danfojs's export-map-only typings.
 */
import { createRequire } from 'node:module';
import { CaplabError } from '../errors.ts';
import { showTable } from './display.ts';

const require = createRequire(import.meta.url);

/** The part of a danfojs DataFrame caplab uses; the object is a real `dfd.DataFrame`. */
export interface Frame {
  readonly columns: string[];
  readonly shape: number[];
  readonly values: unknown[];
  head(rows?: number): Frame;
  describe(): Frame;
  corr?(): Frame;
  toString(): string;
  [key: string]: unknown;
}

interface Danfo {
  DataFrame: new (data: unknown, options?: { columns?: string[]; index?: unknown[] }) => Frame;
}

let danfo: Danfo | undefined;
function dfd(): Danfo {
  danfo ??= require('danfojs') as Danfo;
  return danfo;
}

/**
 * A danfojs DataFrame from columns (`{name: values}`) or from rows (array of objects).
 * Typed arrays are accepted as columns.
 */
export function dataFrame(data: Record<string, ArrayLike<number | string>> | Array<Record<string, unknown>>, options: { index?: unknown[] } = {}): Frame {
  if (Array.isArray(data)) {
    if (data.length === 0) throw new CaplabError('empty-frame', 'dataFrame() got no rows.', { hint: 'Pass at least one row.' });
    return new (dfd().DataFrame)(data, options);
  }
  const cols: Record<string, unknown[]> = {};
  for (const [name, values] of Object.entries(data)) cols[name] = Array.from(values as ArrayLike<unknown>);
  return new (dfd().DataFrame)(cols, options);
}

/** Shows a DataFrame as a table (HTML in a notebook, console.table elsewhere), index included. */
export function showFrame(df: Frame, options: { caption?: string; digits?: number; rows?: number } = {}): void {
  const limit = options.rows ?? 20;
  const values = df.values as unknown[][];
  const index = (df as unknown as { index: unknown[] }).index ?? values.map((_, i) => i);
  const rows = values.slice(0, limit).map((row, i) => {
    const rec: Record<string, unknown> = { '': index[i] };
    df.columns.forEach((c, j) => (rec[c] = row[j]));
    return rec;
  });
  showTable(rows, { caption: options.caption, digits: options.digits });
}
