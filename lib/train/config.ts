/**
 * The model as a plain, JSON-serializable config: what a search trial varies and what every
 * result records.
 */
import { CaplabError } from '../errors.ts';

export type Activation = 'relu' | 'tanh' | 'elu';
export type OptimizerName = 'adam' | 'sgd' | 'rmsprop';

/** A regression MLP: inputs → hidden layers → one output (the next-day return). */
export interface ModelConfig {
  /** Units per hidden layer, input side first; [] is a linear regression. Default [64, 32]. */
  hidden: number[];
  /** Hidden-layer activation. Default 'relu'. */
  activation: Activation;
  /** Dropout rate after each hidden layer, in [0, 1). Default 0. */
  dropout: number;
  /** Optimizer step size. Default 0.001. */
  learningRate: number;
  /** Rows per gradient step. Default 256. */
  batchSize: number;
  /** Passes over the training split. Default 10. */
  epochs: number;
  /** Default 'adam'. */
  optimizer: OptimizerName;
  /** Seeds weight init, shuffling and dropout: same seed, backend and data → same metrics. Default 42. */
  seed: number;
}

export const DEFAULT_MODEL_CONFIG: ModelConfig = Object.freeze({
  hidden: [64, 32],
  activation: 'relu',
  dropout: 0,
  learningRate: 0.001,
  batchSize: 256,
  epochs: 10,
  optimizer: 'adam',
  seed: 42,
}) as ModelConfig;

const ACTIVATIONS: readonly Activation[] = ['relu', 'tanh', 'elu'];
const OPTIMIZERS: readonly OptimizerName[] = ['adam', 'sgd', 'rmsprop'];

function bad(field: string, value: unknown, rule: string): CaplabError {
  return new CaplabError('bad-config', `Model config field "${field}" is ${JSON.stringify(value)}; it must be ${rule}.`, {
    hint: `Fix "${field}" in the config (defaults: ${JSON.stringify(DEFAULT_MODEL_CONFIG)}).`,
  });
}

function isInt(v: unknown, min: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min;
}

/**
 * Fills defaults into a partial config and checks every field; throws CaplabError 'bad-config'
 * naming the first wrong field, its value and the rule.
 */
export function validateModelConfig(partial: Partial<ModelConfig> = {}): ModelConfig {
  if (partial === null || typeof partial !== 'object') throw bad('config', partial, 'an object');
  const known = new Set(Object.keys(DEFAULT_MODEL_CONFIG));
  for (const key of Object.keys(partial)) {
    if (!known.has(key)) throw bad(key, (partial as Record<string, unknown>)[key], `one of the known fields (${[...known].join(', ')})`);
  }
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  const c = { ...DEFAULT_MODEL_CONFIG, ...defined } as ModelConfig;
  if (!Array.isArray(c.hidden) || c.hidden.length > 16 || !c.hidden.every((u) => isInt(u, 1) && u <= 65536)) {
    throw bad('hidden', c.hidden, 'an array of at most 16 layer sizes, each an integer from 1 to 65536');
  }
  if (!ACTIVATIONS.includes(c.activation)) throw bad('activation', c.activation, `one of ${ACTIVATIONS.join(', ')}`);
  if (typeof c.dropout !== 'number' || !(c.dropout >= 0 && c.dropout < 1)) throw bad('dropout', c.dropout, 'a number in [0, 1)');
  if (typeof c.learningRate !== 'number' || !(c.learningRate > 0 && c.learningRate < 10)) {
    throw bad('learningRate', c.learningRate, 'a number greater than 0 and below 10');
  }
  if (!isInt(c.batchSize, 1) || c.batchSize > 1 << 20) throw bad('batchSize', c.batchSize, 'an integer from 1 to 1048576');
  if (!isInt(c.epochs, 1) || c.epochs > 100000) throw bad('epochs', c.epochs, 'an integer from 1 to 100000');
  if (!OPTIMIZERS.includes(c.optimizer)) throw bad('optimizer', c.optimizer, `one of ${OPTIMIZERS.join(', ')}`);
  if (!isInt(c.seed, 0) || c.seed > 0xffffffff) throw bad('seed', c.seed, 'an integer from 0 to 4294967295');
  return { ...c, hidden: [...c.hidden] };
}
