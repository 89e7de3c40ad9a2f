/**
 * Small generated CSV inputs for the importer, each a folder of files plus options, covering what
 * shapes its output: grouped and scattered rows, tickers that start and end on different dates,
 * empty and bad cells under each policy, short tickers, a ticker split over files. The import
 * tests compare the importer's output for them with sums recorded from the whole-file importer.
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { syntheticCsv } from '../../lib/data/index.ts';
import type { ImportOptions, ImportSummary } from '../../lib/data/index.ts';

export interface CsvCase {
  name: string;
  /** File name → content. */
  files: Record<string, string>;
  options: Omit<ImportOptions, 'out'>;
}

/** A deterministic shuffle (a fixed LCG), so a case is the same text on every run. */
function shuffled<T>(items: T[], seed: number): T[] {
  const a = [...items];
  let s = seed >>> 0;
  for (let i = a.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

function split(csv: string): { header: string; rows: string[] } {
  const [header, ...rows] = csv.trimEnd().split('\n');
  return { header, rows };
}

const join_ = (header: string, rows: string[]) => [header, ...rows].join('\n') + '\n';

export function csvCases(): CsvCase[] {
  const base = split(syntheticCsv({ tickers: 12, days: 110, seed: 9 }));
  // Tickers of unequal spans: ticker k loses its first 3k and its last 2k days.
  const byTicker = new Map<string, string[]>();
  for (const r of base.rows) {
    const name = r.slice(r.lastIndexOf(',') + 1);
    byTicker.set(name, [...(byTicker.get(name) ?? []), r]);
  }
  const ragged = [...byTicker.values()].flatMap((rows, k) => rows.slice(3 * k, rows.length - 2 * k));
  // Empty open/high/low cells and out-of-range rows at fixed places.
  const holes = ragged.map((r, i) => {
    const f = r.split(',');
    if (i % 97 === 5) f[1] = '';
    if (i % 131 === 7) f[2] = '';
    if (i % 151 === 9) f[3] = '';
    if (i % 173 === 11) f[4] = '';
    if (i % 211 === 13) f[2] = String(Number(f[3]) / 2);
    return f.join(',');
  });
  const extra = (name: string, days: number) => split(syntheticCsv({ tickers: 1, days: 20, seed: 9 })).rows.slice(0, days).map((r) => r.replace(/,SYN00000$/, `,${name}`));
  const short = [...ragged, ...extra('SHORT', 40)];
  // A ticker with a date twice and a short one: the first by name is the error reported.
  const twice = (name: string) => {
    const rows = extra(name, 70);
    return [...rows.slice(0, 30), rows[12], ...rows.slice(30)];
  };
  const dupFirst = [...ragged, ...twice('AAA'), ...extra('ZZZ', 50)];
  const shortFirst = [...extra('AAA', 50), ...ragged, ...twice('ZZZ')];
  return [
    { name: 'grouped', files: { 'all.csv': join_(base.header, base.rows) }, options: { shardTickers: 5 } },
    { name: 'scattered', files: { 'all.csv': join_(base.header, shuffled(base.rows, 1)) }, options: { shardTickers: 5 } },
    { name: 'ragged-grouped', files: { 'all.csv': join_(base.header, ragged) }, options: { shardTickers: 4 } },
    { name: 'ragged-scattered', files: { 'all.csv': join_(base.header, shuffled(ragged, 2)) }, options: { shardTickers: 4 } },
    { name: 'holes-fill', files: { 'all.csv': join_(base.header, shuffled(holes, 3)) }, options: { skipBadRows: true } },
    { name: 'holes-skip', files: { 'all.csv': join_(base.header, holes) }, options: { emptyOhl: 'skip', skipBadRows: true, shardTickers: 3 } },
    { name: 'short-skipped', files: { 'all.csv': join_(base.header, short) }, options: { skipShort: true, shardTickers: 6 } },
    { name: 'duplicate-before-short', files: { 'all.csv': join_(base.header, dupFirst) }, options: {} },
    { name: 'short-before-duplicate', files: { 'all.csv': join_(base.header, shuffled(shortFirst, 5)) }, options: {} },
    { name: 'short-not-skipped', files: { 'all.csv': join_(base.header, short) }, options: {} },
    {
      name: 'three-files',
      files: {
        'a.csv': join_(base.header, ragged.slice(0, 400)),
        'b.csv': join_(base.header, shuffled(ragged.slice(400, 900), 4)),
        'c.csv': join_(base.header, ragged.slice(900)),
      },
      options: { shardTickers: 7 },
    },
  ];
}

/** Writes a case's files into `dir`; returns their paths in order. */
export async function writeCase(dir: string, c: CsvCase): Promise<string[]> {
  const paths: string[] = [];
  for (const [name, text] of Object.entries(c.files)) {
    const p = join(dir, name);
    await writeFile(p, text);
    paths.push(p);
  }
  return paths;
}

/**
 * A sum over everything an import decides: the manifest but its time and file paths, every
 * shard's sha256 (in the manifest), and the notes.
 */
export function importDigest(s: ImportSummary): string {
  const { createdAt: _, source, ...rest } = s.manifest;
  const { files: __, ...src } = source as typeof source & { files?: string[] };
  return createHash('sha256').update(JSON.stringify({ ...rest, source: src, notes: s.notes, rows: s.rows })).digest('hex');
}
