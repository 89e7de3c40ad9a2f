/** `caplab data`: generate the synthetic market, import OHLCV CSV files, inspect a dataset. */
import { CaplabError, generateDataset, importCsv, datasetInfo, terminalBar, type DatasetSummary, type ProgressEvent } from '../index.ts';
import { numberOption, parseCommand, printResult } from './output.ts';

const HELP = `usage:
  caplab data generate --out DIR [--scale N] [--tickers T] [--days D] [--seed S] [--force] [--json]
  caplab data import FILE.csv... --out DIR [--skip-short] [--empty-ohl fill|skip] [--skip-bad-rows] [--force] [--json]
  caplab data info DIR [--no-checksums] [--json]

generate  the seeded synthetic market: round(T × N) tickers over D trading days.
          --scale N   any positive number (default 1): 10 = ten times the base tickers, all new
          --tickers   base ticker count (default 100)   --days  trading days (default 1260)
          --seed      market seed (default 42): same seed and options, byte-identical shards
import    daily OHLCV CSV: columns date, open, high, low, close, volume, Name
          --skip-short  leave out tickers with under 62 trading days instead of failing
          --empty-ohl   rows with an empty open, high or low: fill (default) takes open = close,
                        high/low = the larger/smaller of open and close; skip leaves the row out.
                        Rows with an empty close or volume are always skipped. Counts are in
                        the manifest and in \`data info\`.
          --skip-bad-rows  leave out (and count) rows whose prices make no sense (≤ 0, above
                        1e9, high below low, open or close outside the day's range) instead of
                        failing on the first with its line number
info      check a dataset (shards present, whole, checksums match) and describe it
          --no-checksums  skip the sha256 pass (presence, sizes and shapes are still checked)

--out DIR must not exist unless --force, which replaces only a dataset folder caplab made.
One writer per --out at a time. With --json, stdout's last line is one JSON object.`;

const GENERATE = {
  out: { type: 'string' },
  scale: { type: 'string' },
  tickers: { type: 'string' },
  days: { type: 'string' },
  seed: { type: 'string' },
  force: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;
const IMPORT = {
  out: { type: 'string' },
  'skip-short': { type: 'boolean' },
  'empty-ohl': { type: 'string' },
  'skip-bad-rows': { type: 'boolean' },
  force: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;
const INFO = { 'no-checksums': { type: 'boolean' }, json: { type: 'boolean' } } as const;

function progressBar(label: string) {
  const bar = terminalBar(label);
  return (e: ProgressEvent) => {
    if (e.kind === 'shard-written') bar.update(e.done, e.total, `${(e.rows / 1e6).toFixed(2)}M rows ${(e.bytes / 1e6).toFixed(0)} MB`);
    else if (e.kind === 'message') process.stderr.write(`${label}: ${e.text}\n`);
  };
}

function requireOut(out: string | undefined): string {
  if (!out) throw new CaplabError('usage', 'caplab data needs --out DIR: the dataset folder to write.', { hint: 'e.g. --out data/base' });
  return out;
}

function summaryJson(s: DatasetSummary, extra: Record<string, unknown> = {}) {
  return { path: s.path, rows: s.rows, features: s.features, bytes: s.bytes, shards: s.shards, seconds: s.seconds, splitRows: s.manifest.rows, split: s.manifest.split, source: s.manifest.source, ...extra };
}

function human(s: DatasetSummary): string {
  const r = s.manifest.rows;
  return `wrote ${s.path}: ${r.total.toLocaleString('en-US')} rows (train ${r.train.toLocaleString('en-US')}, validation ${r.validation.toLocaleString('en-US')}, test ${r.test.toLocaleString('en-US')}) × ${s.features} features, ${(s.bytes / 1e6).toFixed(1)} MB in ${s.shards} shards, ${s.seconds.toFixed(1)} s`;
}

/** How an import treated rows with empty or out-of-range values (absent for synthetic data and older imports). */
function rowPolicyLines(source: DatasetSummary['manifest']['source']): string[] {
  const p = source.rowPolicy;
  if (!p) return source.type === 'csv' ? ['rows      imported before row policies were recorded'] : [];
  const ohl = p.emptyOhl === 'fill'
    ? `empty open/high/low filled from the close (${p.filledValues} values)`
    : `rows with an empty open/high/low skipped (${p.skippedEmptyOhl})`;
  const bad = p.skipBadRows ? `rows with out-of-range prices skipped (${p.skippedBadRows})` : 'rows with out-of-range prices refused';
  return [`rows      ${ohl}; rows with an empty close or volume skipped (${p.skippedEmptyClose}); ${bad}`];
}

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || sub === '--help' || sub === '-h') {
    console.log(HELP);
    return sub ? 0 : 2;
  }
  if (sub === 'generate') {
    const p = parseCommand(rest, GENERATE, HELP);
    if (!p) return 0;
    const v = p.values;
    const s = await generateDataset({
      out: requireOut(v.out),
      scale: numberOption('scale', v.scale, { positive: true }),
      tickers: numberOption('tickers', v.tickers, { integer: true, min: 1, max: 2 ** 31 - 1 }),
      days: numberOption('days', v.days, { integer: true, min: 20, max: 100_000 }),
      seed: numberOption('seed', v.seed, { integer: true, min: 0, max: 2 ** 32 - 1 }),
      force: v.force ?? false,
      onProgress: progressBar('generate'),
    });
    printResult(v.json ?? false, summaryJson(s), human(s));
    return 0;
  }
  if (sub === 'import') {
    const p = parseCommand(rest, IMPORT, HELP, true);
    if (!p) return 0;
    const v = p.values;
    if (p.positionals.length === 0) throw new CaplabError('usage', 'caplab data import needs one or more CSV files.', { hint: 'e.g. caplab data import all_stocks_5yr.csv --out data/sp500' });
    const emptyOhl = v['empty-ohl'];
    if (emptyOhl !== undefined && emptyOhl !== 'fill' && emptyOhl !== 'skip') {
      throw new CaplabError('usage', `--empty-ohl must be fill or skip, got "${emptyOhl}".`);
    }
    const s = await importCsv(p.positionals, {
      out: requireOut(v.out),
      force: v.force ?? false,
      skipShort: v['skip-short'] ?? false,
      emptyOhl,
      skipBadRows: v['skip-bad-rows'] ?? false,
      onProgress: progressBar('import'),
    });
    for (const note of s.notes) process.stderr.write(`import: ${note}\n`);
    printResult(v.json ?? false, summaryJson(s, { tickers: s.manifest.tickers?.length, notes: s.notes }), human(s));
    return 0;
  }
  if (sub === 'info') {
    const p = parseCommand(rest, INFO, HELP, true);
    if (!p) return 0;
    const dir = p.positionals[0];
    if (!dir || p.positionals.length > 1) throw new CaplabError('usage', 'caplab data info takes exactly one dataset folder.', { hint: 'e.g. caplab data info data/base' });
    const info = await datasetInfo(dir, { checksums: !p.values['no-checksums'] });
    const { manifest, ...rest2 } = info;
    const r = info.rows;
    const text = [
      `${info.path}: ${info.source.type} dataset${info.source.type === 'synthetic' ? ` (seed ${info.source.seed}, scale ${info.source.scale})` : ''}, ${info.source.tickers} tickers × ${info.source.days} days`,
      `rows      ${r.total.toLocaleString('en-US')} (train ${r.train.toLocaleString('en-US')}, validation ${r.validation.toLocaleString('en-US')}, test ${r.test.toLocaleString('en-US')})`,
      `dates     ${info.split.firstDate} … ${info.split.lastDate}; validation from ${info.split.validationStart}, test from ${info.split.testStart}`,
      `features  ${info.features}: ${info.featureNames.join(', ')}; target ${info.target}`,
      `on disk   ${(info.bytes / 1e6).toFixed(1)} MB in ${info.shards} shards (${info.files} files), ${info.checksumsVerified ? 'all checksums match' : 'sizes and shapes checked (checksums skipped: a changed byte would go unnoticed)'}`,
      ...rowPolicyLines(info.source),
    ].join('\n');
    printResult(p.values.json ?? false, { ...rest2, generator: manifest.generator, createdAt: manifest.createdAt }, text);
    return 0;
  }
  throw new CaplabError('usage', `Unknown subcommand "caplab data ${sub}".`, { hint: 'Use generate, import or info (see caplab data --help).' });
}
