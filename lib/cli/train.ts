/** `caplab train`: trains the return model on a dataset folder and reports metrics beside naive baselines. */
import { CaplabError, CHECKSUMS_SKIPPED, localProvenance, terminalBar, trainModel, validateModelConfig, verifyDataset, type BackendChoice, type MetricsWithBaselines, type ModelConfig, type ProgressEvent, type TrainResult } from '../index.ts';
import { numberOption, parseCommand, printResult } from './output.ts';

const HELP = `usage: caplab train --data DIR [options] [--json]

  --data DIR          dataset folder (from \`caplab data generate\` or \`caplab data import\`)
  --epochs N          passes over the train split (default 10)
  --batch-size N      rows per gradient step (default 256)
  --lr X              learning rate (default 0.001)
  --hidden 64,32      hidden layer sizes; "" for a linear model (default 64,32)
  --activation A      relu | tanh | elu (default relu)
  --dropout P         dropout rate in [0, 1) (default 0)
  --optimizer O       adam | sgd | rmsprop (default adam)
  --seed S            seeds init, shuffling and dropout (default 42)
  --backend B         auto | node | wasm | cpu (default auto: tfjs-node if installed, else wasm)
  --streamed          read train shards from disk one at a time (for data larger than memory)
  --max-steps N       cap gradient steps per epoch
  --no-checksums      skip the sha256 check of the dataset before training (shards are still
                      checked for presence and shape; a changed byte goes unnoticed)
  --json              stdout's last line is one JSON object (the full result)

Progress goes to stderr. Ctrl-C stops after the current epoch and reports the best epoch so far.`;

const OPTIONS = {
  data: { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  hidden: { type: 'string' },
  activation: { type: 'string' },
  dropout: { type: 'string' },
  optimizer: { type: 'string' },
  seed: { type: 'string' },
  backend: { type: 'string' },
  streamed: { type: 'boolean' },
  'max-steps': { type: 'string' },
  'no-checksums': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

const BACKENDS = ['auto', 'node', 'wasm', 'cpu'];

function parseHidden(raw: string | undefined): number[] | undefined {
  if (raw === undefined) return undefined;
  const parts = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const sizes = parts.map((p) => (/^\d{1,6}$/.test(p) ? Number(p) : NaN));
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new CaplabError('usage', `--hidden must be comma-separated positive integers like 64,32, got "${raw}".`);
  }
  return sizes;
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 0.01 || v === 0 ? v.toFixed(4) : v.toExponential(3);
}

function metricLines(name: string, m: MetricsWithBaselines): string[] {
  const row = (label: string, r: { mse: number; rmse: number; mae: number; r2: number; directionalAccuracy: number }) =>
    `  ${label.padEnd(22)} ${[r.mse, r.rmse, r.mae, r.r2, r.directionalAccuracy].map((v) => fmt(v).padStart(11)).join(' ')}`;
  return [
    `${name} (${m.rows.toLocaleString('en-US')} rows)${' '.repeat(Math.max(1, 13 - name.length))}        mse        rmse         mae          r2   direction`,
    row('model', m),
    row('baseline: predict 0', m.baselines.zero),
    row('baseline: train mean', m.baselines.trainMean),
  ];
}

export function describeTrainResult(r: TrainResult, data: string): string {
  const c = r.config;
  const shape = c.hidden.length ? c.hidden.join('-') : 'linear';
  const lines = [
    `trained ${shape} ${c.activation} MLP (${c.optimizer}, lr ${c.learningRate}, batch ${c.batchSize}) on ${data}: ${r.rows.toLocaleString('en-US')} train rows, backend ${r.backend}`,
    `${r.epochs.length} epoch(s) in ${r.seconds.toFixed(1)} s, ${Math.round(r.rowsPerSecond).toLocaleString('en-US')} rows/s; best epoch ${r.bestEpoch} (validation loss ${fmt(r.epochs[r.bestEpoch - 1]?.valLoss ?? NaN)})`,
  ];
  if (r.stoppedEarly) lines.push(`stopped early: ${r.stoppedReason}`);
  lines.push(...metricLines('validation', r.metrics.validation), ...metricLines('test', r.metrics.test));
  return lines.join('\n');
}

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, OPTIONS, HELP);
  if (!p) return 0;
  const v = p.values;
  if (!v.data) throw new CaplabError('usage', 'caplab train needs --data DIR: the dataset folder.', { hint: 'Make one with `caplab data generate --out data/base`.' });
  const config: Partial<ModelConfig> = {
    epochs: numberOption('epochs', v.epochs, { integer: true, min: 1 }),
    batchSize: numberOption('batch-size', v['batch-size'], { integer: true, min: 1 }),
    learningRate: numberOption('lr', v.lr, { positive: true }),
    hidden: parseHidden(v.hidden),
    activation: v.activation as ModelConfig['activation'] | undefined,
    dropout: numberOption('dropout', v.dropout, { min: 0 }),
    optimizer: v.optimizer as ModelConfig['optimizer'] | undefined,
    seed: numberOption('seed', v.seed, { integer: true, min: 0, max: 2 ** 32 - 1 }),
  };
  // Flags are checked as flags: a bad value is a usage error naming it, before any data is read.
  try {
    validateModelConfig(Object.fromEntries(Object.entries(config).filter(([, x]) => x !== undefined)));
  } catch (e) {
    if (e instanceof CaplabError) throw new CaplabError('usage', e.message.split('\n')[0], { hint: 'See caplab train --help for each flag\'s range.', cause: e });
    throw e;
  }
  if (v.backend !== undefined && !BACKENDS.includes(v.backend)) throw new CaplabError('usage', `--backend must be one of ${BACKENDS.join(', ')}, got "${v.backend}".`);
  const maxSteps = numberOption('max-steps', v['max-steps'], { integer: true, min: 1 });
  // The data is checked whole before training: a damaged or missing shard is named here.
  if (v['no-checksums']) process.stderr.write(`train: ${CHECKSUMS_SKIPPED}\n`);
  await verifyDataset(v.data, { checksums: !v['no-checksums'] });
  const bar = terminalBar('train');
  let epochs = 0;
  const onProgress = (e: ProgressEvent) => {
    if (e.kind === 'epoch') {
      epochs = e.epochs;
      bar.update(e.epoch, e.epochs, `loss ${fmt(e.loss)} val ${fmt(e.valLoss ?? NaN)}`);
    }
  };
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`\ntrain: stopping after this epoch (Ctrl-C again to quit now)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  let result: TrainResult;
  try {
    result = await trainModel(v.data, {
      config,
      backend: v.backend as BackendChoice | undefined,
      streamed: v.streamed ?? false,
      maxSteps,
      onProgress,
      signal: controller.signal,
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (result.stoppedEarly && process.stderr.isTTY && result.epochs.length < epochs) process.stderr.write('\n');
  const json = { data: v.data, ...result, provenance: localProvenance('inline', result.backend) };
  printResult(v.json ?? false, json, describeTrainResult(result, v.data));
  return 0;
}
