/** `caplab train`: trains the return model on a dataset folder and reports metrics beside naive baselines. */
import {
  CaplabError, CHECKSUMS_SKIPPED, clusterTrainManifestsYaml, localProvenance, terminalBar, trainModel, trainOnCluster, validateModelConfig, verifyDataset,
  type BackendChoice, type ClusterTrainOptions, type ClusterTrainResult, type MetricsWithBaselines, type ModelConfig, type ProgressEvent, type TrainResult,
} from '../index.ts';
import { numberOption, parseCommand, printResult } from './output.ts';

const CLUSTER_HELP = `
data-parallel on Kubernetes (--batch-size is per rank: K ranks at b train like one process at K·b):
  --executor kubernetes --ranks K   K pods of one Indexed Job; rank 0 is the rendezvous point
  --cpu Q --memory Q  per pod request and limit (default 1, 1Gi)
  --image IMAGE --namespace NAME --context NAME   (kubeconfig from KUBECONFIG or ~/.kube/config)
  --cluster-data /data/NAME   ranks read their shards there on the caplab-data claim (read-only);
                      default: synthetic data, regenerated in each pod
  --run ID            the run id (Jobs and checkpoint folder); an earlier run's id resumes it
  --max-restarts N    group restarts from the last checkpoint after a lost rank (default 2)
  --no-checkpoints    no checkpoints (a lost rank then restarts from epoch 1)
  --dry-run           print the manifests instead of applying them
`;

const CLUSTER_OPTIONS = {
  executor: { type: 'string' },
  ranks: { type: 'string' },
  cpu: { type: 'string' },
  memory: { type: 'string' },
  image: { type: 'string' },
  namespace: { type: 'string' },
  context: { type: 'string' },
  'cluster-data': { type: 'string' },
  run: { type: 'string' },
  'max-restarts': { type: 'string' },
  'no-checkpoints': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
} as const;

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
${CLUSTER_HELP}
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
  ...CLUSTER_OPTIONS,
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
  const executor = v.executor ?? 'inline';
  if (executor !== 'inline' && executor !== 'kubernetes') {
    throw new CaplabError('usage', `--executor must be kubernetes (data-parallel ranks as pods), got "${executor}".`, { hint: 'Leave it out to train in this process.' });
  }
  if (executor === 'kubernetes') {
    if (v.streamed) throw new CaplabError('usage', '--streamed applies to training in this process; on kubernetes each rank holds its share in memory.');
    return runOnCluster(v, config, maxSteps);
  }
  const stray = clusterFlagsGiven(v);
  if (stray) throw new CaplabError('usage', `--${stray} applies only to --executor kubernetes.`);
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

type Values = Record<string, string | boolean | undefined>;

/** The first cluster-only flag given, for a usage error when there is no cluster executor. */
function clusterFlagsGiven(v: Values): string | undefined {
  return Object.keys(CLUSTER_OPTIONS).find((k) => k !== 'executor' && v[k] !== undefined);
}

function describeClusterResult(r: ClusterTrainResult, data: string): string {
  const lines = [
    describeTrainResult(r.train, data),
    `ran as ${r.ranks.length} ranks of Job ${r.job.name}${r.job.context ? ` (${r.job.context})` : ''}; attempts ${r.job.attempts}${r.job.resumedFromEpoch ? `, resumed from the checkpoint of epoch ${r.job.resumedFromEpoch}` : ''}; replicas identical: ${r.replicasIdentical}`,
    ...r.ranks.map((k) => `  rank ${k.rank}: ${k.localRows.toLocaleString('en-US')} rows (${(k.heldBytes / 2 ** 20).toFixed(1)} MiB) on ${k.node ?? '?'} (${k.pod ?? '?'}), peak ${(k.peakRssBytes / 2 ** 20).toFixed(0)} MiB of ${k.limitBytes ? (k.limitBytes / 2 ** 20).toFixed(0) + ' MiB' : '?'}, ${k.seconds.toFixed(1)} s`),
  ];
  return lines.join('\n');
}

/** `caplab train --executor kubernetes`: data-parallel ranks as pods of one Indexed Job. */
async function runOnCluster(v: Values, config: Partial<ModelConfig>, maxSteps: number | undefined): Promise<number> {
  const str = (k: string) => v[k] as string | undefined;
  const ranks = numberOption('ranks', str('ranks'), { integer: true, min: 1, max: 256 });
  if (ranks === undefined) throw new CaplabError('usage', '--executor kubernetes needs --ranks K (pods of the group).');
  const options: ClusterTrainOptions = {
    data: str('data')!,
    ranks,
    config: Object.fromEntries(Object.entries(config).filter(([, x]) => x !== undefined)),
    cpu: str('cpu'),
    memory: str('memory'),
    image: str('image'),
    namespace: str('namespace'),
    context: str('context'),
    clusterData: str('cluster-data'),
    run: str('run'),
    maxRestarts: numberOption('max-restarts', str('max-restarts'), { integer: true, min: 0, max: 20 }),
    checkpointClaim: v['no-checkpoints'] ? false : undefined,
    backend: str('backend') as BackendChoice | undefined,
    maxSteps,
  };
  if (v['dry-run']) {
    process.stdout.write(await clusterTrainManifestsYaml(options));
    return 0;
  }
  const bar = terminalBar('train');
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\ntrain: cancelling: deleting the Job and its Service (Ctrl-C again to quit now)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  let result: ClusterTrainResult;
  try {
    result = await trainOnCluster({
      ...options,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.kind === 'epoch') bar.update(e.epoch, e.epochs, `loss ${e.loss.toFixed(4)}`);
        else if (e.kind === 'message') process.stderr.write(`train: ${e.text}\n`);
      },
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
  printResult(Boolean(v.json), { data: options.data, ...result }, describeClusterResult(result, options.data));
  return 0;
}
