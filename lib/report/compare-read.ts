/**
 * Reads stored results for the comparison: a memory probe report (notebook 02, `caplab probe
 * --out`), a search experiment folder (notebooks 03 and 05, `caplab search --out`) or a training
 * result (saveTrainResult; cluster training writes the same shape). Nothing is recomputed.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CaplabError } from '../errors.ts';
import type { ProbeReport } from '../memory/probe.ts';
import { resultsPath } from '../paths.ts';
import { EXPERIMENT_FILE, readSearchResults, type ExperimentMeta } from '../search/store.ts';
import type { TrialRecord } from '../search/types.ts';
import { checkTrainResult, TRAIN_RESULT_KIND, type StoredTrainResult } from './stored-train.ts';

export type StoredResult =
  | { type: 'probe'; path: string; report: ProbeReport }
  | { type: 'search'; path: string; experiment: ExperimentMeta; records: TrialRecord[] }
  | { type: 'train'; path: string; result: StoredTrainResult };

const WHAT_MAKES_THEM = 'Results come from `caplab probe --out FILE`, `caplab search --out DIR`, or notebooks 02, 03, 05 and 06 (under results/).';

/** Reads one stored result: a folder (search experiment) or a JSON file (probe report, training result). */
export async function readStoredResult(path: string): Promise<StoredResult> {
  if (!existsSync(path)) {
    throw new CaplabError('no-result', `${path} does not exist.`, { hint: WHAT_MAKES_THEM });
  }
  if (statSync(path).isDirectory() || basename(path) === EXPERIMENT_FILE) {
    const dir = statSync(path).isDirectory() ? path : dirname(path);
    if (!existsSync(join(dir, EXPERIMENT_FILE))) {
      throw new CaplabError('bad-result', `${dir} is a folder without ${EXPERIMENT_FILE}: not a search experiment.`, { hint: WHAT_MAKES_THEM });
    }
    const { experiment, records } = await readSearchResults(dir);
    return { type: 'search', path: dir, experiment, records };
  }
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new CaplabError('bad-result', `${path} is not JSON: ${(e as Error).message}`, { hint: WHAT_MAKES_THEM, cause: e });
  }
  if (value?.kind === 'caplab-memory-probe') return { type: 'probe', path, report: checkProbeReport(value, path) };
  if (value?.kind === TRAIN_RESULT_KIND) return { type: 'train', path, result: checkTrainResult(value, path) };
  throw new CaplabError('bad-result', `${path} is not a caplab result (kind ${JSON.stringify(value?.kind ?? null)}).`, { hint: WHAT_MAKES_THEM });
}

export async function readStoredResults(paths: string[]): Promise<StoredResult[]> {
  const out: StoredResult[] = [];
  for (const p of paths) out.push(await readStoredResult(p));
  return out;
}

function checkProbeReport(v: Record<string, unknown>, where: string): ProbeReport {
  const need = (ok: boolean, field: string, rule: string) => {
    if (!ok) throw new CaplabError('bad-result', `${where}: field "${field}" ${rule}.`, { hint: 'Probe reports are written by `caplab probe --out FILE`.' });
  };
  need(v.schemaVersion === 1, 'schemaVersion', `must be 1, got ${JSON.stringify(v.schemaVersion)}`);
  need(Array.isArray(v.runs), 'runs', 'must list the probed scales');
  need(typeof v.budgetBytes === 'number', 'budgetBytes', 'must be a number');
  need(!!v.provenance && typeof (v.provenance as Record<string, unknown>).host === 'string', 'provenance', 'must say where it ran');
  return v as unknown as ProbeReport;
}

/**
 * The results notebooks 02, 03, 05 and 06 store for a size preset, where they exist:
 * probe-<preset>.json, search-<preset>-{sequential,pool,kubernetes}/, train-<preset>-*.json.
 */
export function storedResultPaths(preset: string, root = resultsPath()): string[] {
  if (!existsSync(root)) return [];
  const names = readdirSync(root);
  const found: string[] = [];
  if (names.includes(`probe-${preset}.json`)) found.push(join(root, `probe-${preset}.json`));
  for (const ex of ['sequential', 'pool', 'kubernetes']) {
    const dir = join(root, `search-${preset}-${ex}`);
    if (existsSync(join(dir, EXPERIMENT_FILE))) found.push(dir);
  }
  for (const n of names.sort()) if (n.startsWith(`train-${preset}-`) && n.endsWith('.json')) found.push(join(root, n));
  return found;
}
