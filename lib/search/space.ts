/**
 * Search spaces: a grid (every combination) or random samples (seeded), over the fields of the
 * model config. Everything is checked before a trial runs: an unknown parameter, an empty range
 * or a grid of zero points is an error naming the field.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { CaplabError } from '../errors.ts';
import { preset as getPreset } from '../presets.ts';
import { DEFAULT_MODEL_CONFIG, validateModelConfig, type ModelConfig } from '../train/config.ts';
import { canonicalJson, contentHash } from '../util/canonical.ts';
import { uniformFromState } from '../util/random.ts';
import type { Trial } from './types.ts';

/** Values to try (grid or random choice). */
export interface ValuesDomain {
  values: unknown[];
}
/** A continuous range (random spaces only): uniform, or log-uniform with `log`; integers with `integer`. */
export interface RangeDomain {
  min: number;
  max: number;
  /** Sample log-uniformly (for learning rates). Default false. */
  log?: boolean;
  /** Round to integers. Default: true for integer fields (hidden, batchSize, epochs, seed). */
  integer?: boolean;
}
/** A plain array is short for `{ values: [...] }`. */
export type ParamDomain = unknown[] | ValuesDomain | RangeDomain;

export interface SearchSpace {
  /** 'grid': every combination of the params' values; 'random': `trials` seeded samples. */
  type: 'grid' | 'random';
  /** Model config field → values or range. `hidden` accepts a number n as the one-layer [n]. */
  params: Record<string, ParamDomain>;
  /** Fields every trial shares (e.g. dropout, epochs). */
  fixed?: Partial<ModelConfig>;
  /** Random: how many trials (required). Grid: keep only the first N points (default all). */
  trials?: number;
  /** Random: the sampling seed. Default 0. */
  seed?: number;
  /** A name for people (e.g. the preset it came from). */
  name?: string;
}

export interface SearchSpaceOptions {
  /** Sets every trial's epochs (overrides the space). */
  epochs?: number;
  /** Random: number of trials; grid: first N points. */
  trials?: number;
  /** Random: sampling seed. */
  seed?: number;
  /** Size preset for the built-in spaces' epochs (full 20, quick 3, tiny 1). Default CAPLAB_PRESET. */
  preset?: string;
}

const INTEGER_FIELDS = new Set(['hidden', 'batchSize', 'epochs', 'seed']);

/** Most trials one experiment plans: its experiment.json lists them all. A larger grid needs `trials` to take part of it. */
export const MAX_TRIALS = 10_000;
/** Largest space file read. */
export const MAX_SPACE_FILE_BYTES = 1 << 20;
/** Most values (objects, arrays, scalars, counted again at every alias) a space may expand to, and its deepest nesting. */
export const MAX_SPACE_NODES = 100_000;
export const MAX_SPACE_DEPTH = 32;
const KNOWN_FIELDS = Object.keys(DEFAULT_MODEL_CONFIG);

/**
 * The demo's grid: hidden units {64, 128, 256} × learning rate {1e-4, 1e-3} × batch size
 * {16, 32, 64} = 18 configs, dropout 0.1, epochs from the size preset.
 */
export function defaultSearchSpace(presetName?: string): SearchSpace {
  return {
    name: 'default',
    type: 'grid',
    params: { hidden: [[64], [128], [256]], learningRate: [1e-4, 1e-3], batchSize: [16, 32, 64] },
    fixed: { dropout: 0.1, epochs: getPreset(presetName).epochs },
  };
}

/** A random counterpart of the default grid: 18 seeded samples, log-uniform learning rate. */
export function randomSearchSpace(presetName?: string): SearchSpace {
  return {
    name: 'random',
    type: 'random',
    params: {
      hidden: [[64], [128], [256]],
      learningRate: { min: 1e-4, max: 1e-2, log: true },
      batchSize: [16, 32, 64],
      dropout: { min: 0, max: 0.3 },
    },
    fixed: { epochs: getPreset(presetName).epochs },
    trials: 18,
    seed: 0,
  };
}

export const SEARCH_SPACE_PRESETS: Record<string, (presetName?: string) => SearchSpace> = {
  default: defaultSearchSpace,
  grid: defaultSearchSpace,
  random: randomSearchSpace,
};

/**
 * A checked search space from a preset name (`default`, `grid`, `random`), a JSON file (or YAML,
 * when the `js-yaml` package can be loaded) or an object, with the options' overrides applied.
 */
export async function loadSearchSpace(ref: string | SearchSpace = 'default', options: SearchSpaceOptions = {}): Promise<SearchSpace> {
  let space: SearchSpace;
  let where: string;
  if (typeof ref !== 'string') {
    space = structuredClone(ref);
    where = 'search space';
  } else if (SEARCH_SPACE_PRESETS[ref]) {
    space = SEARCH_SPACE_PRESETS[ref](options.preset);
    where = `search space preset "${ref}"`;
  } else {
    space = (await readSpaceFile(ref)) as SearchSpace;
    where = ref;
  }
  // The size is judged after the overrides: --trials N makes a huge grid usable.
  return applyOverrides(checkSearchSpace(space, where, { size: false }), options, where);
}

async function readSpaceFile(path: string): Promise<unknown> {
  let text: string;
  try {
    const size = (await stat(path)).size;
    if (size > MAX_SPACE_FILE_BYTES) {
      throw new CaplabError('bad-space', `Search space file ${path} is ${size.toLocaleString('en-US')} bytes; the limit is ${MAX_SPACE_FILE_BYTES.toLocaleString('en-US')}.`, {
        hint: 'A space lists a few values per parameter; a file this big is not one (or generates far more trials than a search can run).',
      });
    }
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof CaplabError) throw e;
    throw new CaplabError('bad-space', `Cannot read search space file ${path}.`, {
      hint: `Pass a JSON file or one of the presets: ${Object.keys(SEARCH_SPACE_PRESETS).join(', ')}.`,
      cause: e,
    });
  }
  const ext = extname(path).toLowerCase();
  let value: unknown;
  if (ext === '.yaml' || ext === '.yml') value = await parseYaml(text, path);
  else {
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new CaplabError('bad-space', `${path} is not valid JSON: ${(e as Error).message}`, { cause: e });
    }
  }
  checkExpansion(value, path);
  return value;
}

/**
 * Walks a parsed space without recursion, counting every value as often as it is reached: YAML
 * aliases can make a small file stand for a huge tree ("billion laughs").
 */
function checkExpansion(value: unknown, where: string): void {
  const stack: Array<[unknown, number]> = [[value, 0]];
  let nodes = 0;
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (++nodes > MAX_SPACE_NODES) {
      throw bad(where, `expands to more than ${MAX_SPACE_NODES.toLocaleString('en-US')} values (aliases count at every use).`, 'List each parameter\'s values plainly; a search space is small.');
    }
    if (depth > MAX_SPACE_DEPTH) throw bad(where, `nests deeper than ${MAX_SPACE_DEPTH} levels.`);
    if (v && typeof v === 'object') for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
}

async function parseYaml(text: string, path: string): Promise<unknown> {
  // js-yaml arrives with @kubernetes/client-node; caplab does not depend on it directly, so YAML
  // support is best effort and JSON always works.
  const name = 'js-yaml';
  let yaml: { load(text: string): unknown };
  try {
    const mod = (await import(name)) as { default?: { load(text: string): unknown }; load?: (text: string) => unknown };
    yaml = mod.load ? (mod as { load(text: string): unknown }) : mod.default!;
  } catch (e) {
    throw new CaplabError('bad-space', `Cannot read YAML search space ${path}: the js-yaml package is not installed.`, {
      hint: 'Write the space as JSON instead (same fields).',
      cause: e,
    });
  }
  try {
    // Bounded: few aliases and shallow nesting (checkExpansion bounds the rest).
    return (yaml.load as (text: string, options: object) => unknown)(text, { maxAliases: 1000, maxDepth: MAX_SPACE_DEPTH, filename: path });
  } catch (e) {
    throw new CaplabError('bad-space', `${path} is not valid YAML: ${(e as Error).message}`, { cause: e });
  }
}

function bad(where: string, message: string, hint?: string): CaplabError {
  return new CaplabError('bad-space', `${where}: ${message}`, { hint });
}

function tooBig(where: string, what: string, hint: string): CaplabError {
  return new CaplabError('too-big', `${where}: ${what}; one experiment runs at most ${MAX_TRIALS.toLocaleString('en-US')} trials.`, { hint });
}

/** Points of a grid (a float: a product of large lists may pass 2^53 or even overflow to Infinity, still > MAX_TRIALS). */
function gridSize(space: SearchSpace): number {
  return Object.values(space.params).reduce<number>((n, d) => n * (d as ValuesDomain).values.length, 1);
}

/** Checks a space's shape and fields; returns it with `hidden` shorthands normalized. */
export function checkSearchSpace(space: SearchSpace, where = 'search space', options: { size?: boolean } = {}): SearchSpace {
  if (!space || typeof space !== 'object') throw bad(where, 'must be an object with "type" and "params".');
  if (space.type !== 'grid' && space.type !== 'random') {
    throw bad(where, `"type" is ${JSON.stringify(space.type)}; it must be "grid" or "random".`);
  }
  if (!space.params || typeof space.params !== 'object' || Array.isArray(space.params)) {
    throw bad(where, '"params" must be an object: model config field → values or range.');
  }
  const fixed = space.fixed ?? {};
  for (const key of [...Object.keys(space.params), ...Object.keys(fixed)]) {
    if (!KNOWN_FIELDS.includes(key)) {
      throw bad(where, `unknown parameter "${key}".`, `Parameters are model config fields: ${KNOWN_FIELDS.join(', ')}.`);
    }
  }
  for (const key of Object.keys(fixed)) {
    if (key in space.params) throw bad(where, `"${key}" is both a parameter and fixed; keep one.`);
  }
  const params: Record<string, ParamDomain> = {};
  for (const [key, domain] of Object.entries(space.params)) params[key] = checkDomain(space.type, key, domain, where);
  if (space.type === 'random') {
    if (!Number.isInteger(space.trials) || (space.trials as number) < 1) {
      throw bad(where, `a random space needs "trials", a positive integer (got ${JSON.stringify(space.trials)}).`, 'Set "trials" in the space or pass --trials N.');
    }
  } else if (space.trials !== undefined && (!Number.isInteger(space.trials) || space.trials < 1)) {
    throw bad(where, `"trials" must be a positive integer (got ${JSON.stringify(space.trials)}).`);
  }
  if (space.trials !== undefined && space.trials > MAX_TRIALS) {
    throw tooBig(where, `"trials" is ${space.trials.toLocaleString('en-US')}`, 'Ask for fewer trials.');
  }
  if (space.type === 'grid' && space.trials === undefined && options.size !== false) {
    const size = gridSize({ ...space, params });
    if (size > MAX_TRIALS) {
      throw tooBig(where, `the grid has ${size.toLocaleString('en-US')} points`, 'Pass --trials N to run its first N points, use a random space, or list fewer values.');
    }
  }
  if (space.seed !== undefined && (!Number.isInteger(space.seed) || space.seed < 0)) {
    throw bad(where, `"seed" must be a non-negative integer (got ${JSON.stringify(space.seed)}).`);
  }
  const fixedNorm = Object.fromEntries(Object.entries(fixed).map(([k, v]) => [k, normalizeValue(k, v)])) as Partial<ModelConfig>;
  return { ...space, params, ...(space.fixed ? { fixed: fixedNorm } : {}) };
}

function checkDomain(type: SearchSpace['type'], key: string, domain: ParamDomain, where: string): ParamDomain {
  if (Array.isArray(domain) || (domain && typeof domain === 'object' && 'values' in domain)) {
    const values = Array.isArray(domain) ? domain : (domain as ValuesDomain).values;
    if (!Array.isArray(values) || values.length === 0) {
      throw bad(where, `parameter "${key}" has no values, so the space has zero points.`, `Give "${key}" at least one value.`);
    }
    // Equal values would only give equal trials: keep the first of each.
    const seen = new Set<string>();
    const kept: unknown[] = [];
    for (const v of values.map((x) => normalizeValue(key, x))) {
      const h = canonicalJson(v ?? null);
      if (!seen.has(h)) seen.add(h), kept.push(v);
    }
    return { values: kept };
  }
  if (domain && typeof domain === 'object' && 'min' in domain && 'max' in domain) {
    const r = domain as RangeDomain;
    if (type === 'grid') {
      throw bad(where, `parameter "${key}" is a range, which a grid cannot enumerate.`, 'List the values to try, or make the space "type": "random".');
    }
    if (typeof r.min !== 'number' || typeof r.max !== 'number' || !Number.isFinite(r.min) || !Number.isFinite(r.max)) {
      throw bad(where, `parameter "${key}" range needs numeric "min" and "max".`);
    }
    if (typeof DEFAULT_MODEL_CONFIG[key as keyof ModelConfig] === 'string') {
      throw bad(where, `parameter "${key}" takes names, not a numeric range.`, `List the values, e.g. {"values": [...]}.`);
    }
    const integer = r.integer ?? INTEGER_FIELDS.has(key);
    if (r.min > r.max || (integer && Math.ceil(r.min) > Math.floor(r.max))) {
      throw bad(where, `parameter "${key}" has an empty range [${r.min}, ${r.max}]${integer ? ' (integers)' : ''}.`, 'Make min ≤ max.');
    }
    if (r.log && r.min <= 0) throw bad(where, `parameter "${key}" is log-uniform, so "min" must be above 0 (got ${r.min}).`);
    return { min: r.min, max: r.max, ...(r.log ? { log: true } : {}), ...(integer ? { integer: true } : {}) };
  }
  throw bad(where, `parameter "${key}" must be a list of values, {"values": [...]}, or {"min", "max"} (got ${JSON.stringify(domain)}).`);
}

/** `hidden: 64` means one hidden layer of 64 units. */
function normalizeValue(key: string, value: unknown): unknown {
  return key === 'hidden' && typeof value === 'number' ? [value] : value;
}

function applyOverrides(space: SearchSpace, options: SearchSpaceOptions, where: string): SearchSpace {
  const out: SearchSpace = { ...space, params: { ...space.params }, fixed: { ...space.fixed } };
  if (options.epochs !== undefined) {
    delete out.params.epochs;
    out.fixed!.epochs = options.epochs;
  }
  if (options.trials !== undefined) out.trials = options.trials;
  if (options.seed !== undefined) out.seed = options.seed;
  if (Object.keys(out.fixed!).length === 0) delete out.fixed;
  return checkSearchSpace(out, where);
}

/** Number of points in a grid before any `trials` cap (random spaces: `trials`). */
export function searchSpaceSize(space: SearchSpace): number {
  const s = checkSearchSpace(space);
  if (s.type === 'random') return s.trials ?? 0;
  const full = gridSize(s);
  return Math.min(full, s.trials ?? full);
}

/**
 * The trials of a space, each config complete (defaults filled) and checked, with ids hashed
 * from the config. Grid order: the last parameter varies fastest. Random: seeded, duplicates
 * dropped (a space with fewer distinct points than `trials` gives them all).
 */
export function expandSearchSpace(space: SearchSpace): Trial[] {
  const s = checkSearchSpace(space);
  const partials = s.type === 'grid' ? gridPoints(s) : randomPoints(s);
  const seen = new Set<string>();
  const trials: Trial[] = [];
  const want = s.trials ?? Infinity;
  for (const p of partials) {
    if (trials.length >= want) break;
    const partial = { ...s.fixed, ...p } as Partial<ModelConfig>;
    let config: ModelConfig;
    try {
      config = validateModelConfig(partial);
    } catch (e) {
      throw new CaplabError('bad-space', `A configuration of the search space is invalid: ${(e as Error).message.split('\n')[0]}`, {
        hint: `Fix the values in the space (config ${JSON.stringify(partial)}).`,
        cause: e,
      });
    }
    const id = trialId(config);
    if (seen.has(id)) continue;
    seen.add(id);
    trials.push({ id, config });
  }
  return trials;
}

/** A trial's id: `t-` and 12 hex digits of the config's hash, the same on every machine and run. */
export function trialId(config: ModelConfig): string {
  return `t-${contentHash(config, 12)}`;
}

/**
 * The grid's points in order (the last parameter varies fastest), made one at a time from their
 * index, so taking the first N of a huge grid costs N points, not the grid.
 */
function* gridPoints(space: SearchSpace): Generator<Record<string, unknown>> {
  const entries = Object.entries(space.params).map(([key, d]) => [key, (d as ValuesDomain).values] as const);
  const size = gridSize(space);
  for (let index = 0; index < size; index++) {
    const p: Record<string, unknown> = {};
    let rest = index;
    for (let k = entries.length - 1; k >= 0; k--) {
      const [key, values] = entries[k];
      p[key] = values[rest % values.length];
      rest = Math.floor(rest / values.length);
    }
    // Keys in the space's order, as before.
    yield Object.fromEntries(entries.map(([key]) => [key, p[key]]));
  }
}

function randomPoints(space: SearchSpace): Array<Record<string, unknown>> {
  const next = uniformFromState(space.seed ?? 0);
  // Sorted keys: the same seed gives the same trials whatever order the file lists them in.
  const keys = Object.keys(space.params).sort();
  const want = space.trials ?? 0;
  const points: Array<Record<string, unknown>> = [];
  const seen = new Set<string>();
  for (let attempt = 0; points.length < want && attempt < want * 50; attempt++) {
    const p: Record<string, unknown> = {};
    for (const key of keys) p[key] = sample(key, space.params[key], next);
    const h = contentHash(p, 12);
    if (seen.has(h)) continue;
    seen.add(h);
    points.push(p);
  }
  return points;
}

function sample(key: string, domain: ParamDomain, next: () => number): unknown {
  if ('values' in domain) {
    const values = (domain as ValuesDomain).values;
    return values[Math.min(values.length - 1, Math.floor(next() * values.length))];
  }
  const r = domain as RangeDomain;
  const u = next();
  let v = r.log ? Math.exp(Math.log(r.min) + u * (Math.log(r.max) - Math.log(r.min))) : r.min + u * (r.max - r.min);
  if (r.integer) v = Math.min(Math.floor(r.max), Math.max(Math.ceil(r.min), Math.round(v)));
  // Six significant digits keep configs readable and their hashes stable across platforms.
  else v = Number(v.toPrecision(6));
  return normalizeValue(key, v);
}

