/**
 * The results store: one folder per experiment. `experiment.json` (space, seed, dataset checksum,
 * plan) is written atomically; `trials.jsonl` gets one line per finished trial, appended with a
 * single durable write. A torn last line (a crash mid-append) is ignored on read and cut off
 * before the next append, never fatal.
 */
import { lstat, readdir, readFile, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { CaplabError } from '../errors.ts';
import type { Manifest } from '../data/manifest.ts';
import { appendLineDurable, exists, writeFileAtomic } from '../util/atomic.ts';
import { makeParents, underFile } from '../util/output-path.ts';
import { acquireLock, type OutputLock } from '../util/lock.ts';
import type { EarlyStopOptions } from './asha.ts';
import type { SearchSpace } from './space.ts';
import { canonicalJson, contentHash } from '../util/canonical.ts';
import type { Trial, TrialRecord } from './types.ts';

export const EXPERIMENT_FILE = 'experiment.json';
export const TRIALS_FILE = 'trials.jsonl';
/** Largest experiment.json read (10,000 planned trials take about 4 MB). */
export const MAX_EXPERIMENT_BYTES = 64 * 2 ** 20;

/**
 * Takes the experiment folder's lock for one run: a second search (or a --resume, or a --force)
 * on the same folder is refused while this one runs, and told who holds it.
 */
export function lockExperiment(dir: string, onMessage?: (text: string) => void): Promise<OutputLock> {
  return acquireLock(dir, { what: 'search', onMessage });
}

export interface ExperimentMeta {
  schemaVersion: 1;
  kind: 'caplab-experiment';
  createdAt: string;
  space: SearchSpace;
  /** The random space's sampling seed; null for a grid. */
  seed: number | null;
  data: { dir: string; checksum: string; source?: Manifest['source']; rows?: Manifest['rows'] };
  earlyStop: EarlyStopOptions | null;
  /** Every planned trial, in order. */
  trials: Trial[];
}

/** What makes two runs the same experiment: the space, the data's contents and the early-stop rule. */
export function experimentIdentity(meta: Pick<ExperimentMeta, 'space' | 'data' | 'earlyStop'>): string {
  return contentHash({ space: meta.space, data: meta.data.checksum, earlyStop: meta.earlyStop }, 16);
}

/** A dataset's checksum from its manifest: the shards' sha256s plus the shape, not the folder's path. */
export function datasetChecksum(manifest: Manifest): string {
  return contentHash(
    {
      features: manifest.features,
      target: manifest.target,
      rows: manifest.rows,
      shards: manifest.shards.map((s) => [s.split, s.rows, s.x.sha256, s.y.sha256]),
    },
    32,
  );
}

export async function readExperiment(dir: string): Promise<ExperimentMeta | null> {
  const path = join(dir, EXPERIMENT_FILE);
  if (!(await exists(path))) return null;
  try {
    const size = (await stat(path)).size;
    if (size > MAX_EXPERIMENT_BYTES) throw new Error(`it is ${size} bytes, more than an experiment file can be (${MAX_EXPERIMENT_BYTES})`);
    const meta = JSON.parse(await readFile(path, 'utf8')) as ExperimentMeta;
    if (meta.kind !== 'caplab-experiment') throw new Error('not a caplab experiment');
    return meta;
  } catch (e) {
    throw new CaplabError('bad-experiment', `${path} is not a caplab experiment file: ${(e as Error).message}`, {
      hint: 'Point --out at a new folder, or remove this one.',
      cause: e,
    });
  }
}

export interface TrialLines {
  /** Every well-formed line, in the order written. */
  records: TrialRecord[];
  /** Lines that did not parse (a torn last line after a crash). */
  skipped: number;
}

export async function readTrialLines(dir: string): Promise<TrialLines> {
  const path = join(dir, TRIALS_FILE);
  if (!(await exists(path))) return { records: [], skipped: 0 };
  const text = await readFile(path, 'utf8');
  const records: TrialRecord[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as TrialRecord;
      if (typeof r.trialId === 'string' && typeof r.status === 'string') records.push(r);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { records, skipped };
}

/** The latest record of each trial (a retried trial's newer line wins), in first-seen order. */
export function latestTrialRecords(records: TrialRecord[]): TrialRecord[] {
  const byId = new Map<string, TrialRecord>();
  for (const r of records) {
    byId.delete(r.trialId);
    byId.set(r.trialId, r);
  }
  return [...byId.values()];
}

/** An experiment's metadata and latest trial records, e.g. to plot a finished search. */
export async function readSearchResults(dir: string): Promise<{ experiment: ExperimentMeta; records: TrialRecord[] }> {
  const experiment = await readExperiment(dir);
  if (!experiment) {
    throw new CaplabError('bad-experiment', `No experiment in ${dir} (no ${EXPERIMENT_FILE}).`, { hint: 'Run `caplab search --out ' + dir + '` first.' });
  }
  const { records } = await readTrialLines(dir);
  return { experiment, records: latestTrialRecords(records) };
}

export interface OpenExperimentOptions {
  /** Continue an existing experiment (same space, data and early-stop rule). Default false. */
  resume?: boolean;
  /** Replace an existing experiment's files. Default false. */
  force?: boolean;
}

/**
 * Creates the experiment folder, or reopens it for resume after checking it is the same
 * experiment. Returns the records already there.
 */
export async function openExperiment(dir: string, meta: ExperimentMeta, options: OpenExperimentOptions = {}): Promise<TrialRecord[]> {
  await checkExperimentFolder(dir);
  const existing = await readExperiment(dir);
  if (existing && options.force) {
    await rm(join(dir, EXPERIMENT_FILE), { force: true });
    await rm(join(dir, TRIALS_FILE), { force: true });
  } else if (existing) {
    if (!options.resume) {
      throw new CaplabError('output-exists', `${dir} already holds an experiment (created ${existing.createdAt}).`, {
        hint: 'Pass --resume to run only its missing trials, --force to start it over, or choose another --out.',
      });
    }
    const was = experimentIdentity(existing);
    const now = experimentIdentity(meta);
    if (was !== now) {
      const what = [
        canonicalJson(existing.space) !== canonicalJson(meta.space) ? 'search space' : '',
        existing.data.checksum !== meta.data.checksum ? 'dataset' : '',
        canonicalJson(existing.earlyStop) !== canonicalJson(meta.earlyStop) ? 'early-stop setting' : '',
      ].filter(Boolean);
      throw new CaplabError('experiment-mismatch', `Cannot resume ${dir}: its ${what.join(' and ')} differ from this run's.`, {
        hint: 'Resume with the same --space, --data, --epochs, --trials and --early-stop, or write to another --out.',
      });
    }
    await cutTornTail(join(dir, TRIALS_FILE));
    return (await readTrialLines(dir)).records;
  } else if (await exists(join(dir, TRIALS_FILE))) {
    throw new CaplabError('bad-experiment', `${dir} has ${TRIALS_FILE} but no ${EXPERIMENT_FILE}.`, { hint: 'Choose another --out, or remove the folder.' });
  }
  await writeFileAtomic(join(dir, EXPERIMENT_FILE), JSON.stringify(meta, null, 2) + '\n');
  return [];
}

/**
 * An experiment goes into a new folder, an empty one, or one that already holds an experiment:
 * never into a file or a folder of other things (whose files --force must not touch).
 */
async function checkExperimentFolder(dir: string): Promise<void> {
  let st;
  try {
    st = await lstat(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw underFile(dir, 'experiment folder', e);
    if (code !== 'ENOENT') throw e;
    await makeParents(dir, 'experiment folder');
    return;
  }
  if (!st.isDirectory()) {
    throw new CaplabError('output-not-ours', `${dir} is a ${st.isSymbolicLink() ? 'symbolic link' : 'file'}, not an experiment folder; caplab will not write there.`, {
      hint: 'Choose another --out (a new folder).',
    });
  }
  const entries = (await readdir(dir)).filter((f) => !f.startsWith('.'));
  if (entries.length > 0 && !entries.includes(EXPERIMENT_FILE) && !entries.includes(TRIALS_FILE)) {
    throw new CaplabError('output-not-ours', `${dir} holds other files (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}) and no experiment, so caplab will not write there, --force or not.`, {
      hint: 'Choose a new or empty --out folder for the experiment.',
    });
  }
}

/** One finished trial, as one line. */
export async function appendTrialRecord(dir: string, record: TrialRecord): Promise<void> {
  await appendLineDurable(join(dir, TRIALS_FILE), JSON.stringify(record));
}

/** Cuts a torn last line, so the next append starts on a line of its own. */
async function cutTornTail(path: string): Promise<void> {
  if (!(await exists(path))) return;
  const buf = await readFile(path);
  if (buf.length === 0 || buf[buf.length - 1] === 0x0a) return;
  await truncate(path, buf.lastIndexOf(0x0a) + 1);
}
