/**
 * A large-scale training configuration file (YAML or JSON), like examples/train-large.yaml: the
 * data scale, the model, how many ranks (pods) and what each pod gets. Checked on load: a wrong
 * field is named with its value and the rule.
 *
 *   const plan = await caplab.loadTrainingPlan(caplab.examplePath('train-large.yaml'));
 *   // plan.ranks pods of plan.pod.memory, each holding 1/ranks of plan.data.scale × the base market
 */
import { readFile } from 'node:fs/promises';
import { load as loadYaml } from 'js-yaml';
import { CaplabError } from '../errors.ts';
import { cpuQuantity, memoryQuantity, parseCpu, parseMemory } from './units.ts';
import { validateModelConfig, type ModelConfig } from '../train/config.ts';

export interface TrainingPlan {
  /** The synthetic market: `scale` × a base of `tickers` × `days`, from `seed`. */
  data: { scale: number; tickers: number; days: number; seed: number };
  /** The full model config (missing fields take the defaults); batchSize is per rank. */
  model: ModelConfig;
  /** Data-parallel ranks, one pod each. */
  ranks: number;
  /** Each pod's CPU and memory (request = limit), as Kubernetes quantities, and memory in bytes. */
  pod: { cpu: string; memory: string; memoryBytes: number };
}

function bad(where: string, field: string, value: unknown, rule: string): CaplabError {
  return new CaplabError('bad-config', `${where}: ${field} is ${JSON.stringify(value)}; it must be ${rule}.`, {
    hint: 'Start from examples/train-large.yaml and change the values.',
  });
}

function positiveInt(where: string, field: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 1) throw bad(where, field, v, 'a positive integer');
  return v as number;
}

/** Checks a plan object (as read from a file). */
export function checkTrainingPlan(value: unknown, where = 'training plan'): TrainingPlan {
  if (!value || typeof value !== 'object') throw bad(where, '(the file)', value, 'a mapping with data, model, ranks and pod');
  const v = value as Record<string, Record<string, unknown> | undefined> & { ranks?: unknown };
  for (const key of Object.keys(v)) {
    if (!['data', 'model', 'ranks', 'pod'].includes(key)) throw bad(where, key, v[key], 'one of data, model, ranks, pod (unknown field)');
  }
  const data = v.data ?? {};
  const scale = data.scale;
  if (typeof scale !== 'number' || !(scale > 0)) throw bad(where, 'data.scale', scale, 'a number > 0');
  let model: ModelConfig;
  try {
    model = validateModelConfig((v.model ?? {}) as Partial<ModelConfig>);
  } catch (e) {
    throw new CaplabError('bad-config', `${where}: model: ${(e as Error).message}`, { cause: e });
  }
  const pod = v.pod ?? {};
  const cpu = parseCpu(String(pod.cpu ?? '1'), `${where}: pod.cpu`);
  const memory = parseMemory(String(pod.memory ?? '1Gi'), `${where}: pod.memory`);
  return {
    data: { scale, tickers: positiveInt(where, 'data.tickers', data.tickers ?? 100), days: positiveInt(where, 'data.days', data.days ?? 1260), seed: Number.isInteger(data.seed) ? (data.seed as number) : 42 },
    model,
    ranks: positiveInt(where, 'ranks', v.ranks ?? 1),
    pod: { cpu: cpuQuantity(cpu), memory: memoryQuantity(memory), memoryBytes: memory.bytes },
  };
}

/** Reads and checks a training plan file (.yaml, .yml or .json). */
export async function loadTrainingPlan(path: string): Promise<TrainingPlan> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new CaplabError('bad-config', `Cannot read the training plan ${path}: ${(e as Error).message}`, { hint: 'Copy examples/train-large.yaml and edit it.', cause: e });
  }
  let value: unknown;
  try {
    value = /\.json$/i.test(path) ? JSON.parse(text) : loadYaml(text);
  } catch (e) {
    throw new CaplabError('bad-config', `${path} is not valid ${/\.json$/i.test(path) ? 'JSON' : 'YAML'}: ${(e as Error).message}`, { cause: e });
  }
  return checkTrainingPlan(value, path);
}
