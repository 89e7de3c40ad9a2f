/** `caplab search`: a hyperparameter search on an executor, results in an experiment folder. */
import {
  CaplabError,
  EXECUTOR_NAMES,
  formatSearchStatus,
  MAX_TRIALS,
  runSearch,
  terminalBar,
  type BackendChoice,
  type ExecutorName,
  type KubernetesExecutorSettings,
  type SearchSummary,
} from '../index.ts';
import { availableParallelism } from 'node:os';

const BACKENDS = ['auto', 'node', 'wasm', 'cpu'];
import { numberOption, parseCommand, printResult } from './output.ts';

const HELP = `usage: caplab search --data DIR --out DIR [options]

Runs every trial of a search space on an executor; each finished trial is one line of
DIR/trials.jsonl (the experiment folder), so a rerun with --resume runs only what is missing.

  --data DIR          dataset folder (from \`caplab data generate\`)
  --space FILE|NAME   a JSON (or YAML) space file, or a preset: default (18-config grid), random
                      (default: default)
  --executor NAME     sequential | pool | kubernetes (default: sequential)
  --workers N         pool: child processes at once (default: the cores)
  --trials N          random space: number of trials; grid: the first N points
  --seed N            random space: sampling seed
  --epochs N          every trial's epochs (overrides the space; default from CAPLAB_PRESET)
  --early-stop        stop poor trials at rungs (ASHA-style, reduction factor 3); off by default
  --backend NAME      auto | node | wasm | cpu (default: auto)
  --out DIR           the experiment folder
  --resume            continue the experiment in --out: run only trials without a result
                      (failed trials run again: a failure is not counted as done)
  --keep-failed       with --resume, count failed trials as done instead (--retry-failed: the default)
  --force             start the experiment in --out over (only a caplab experiment folder)
  --no-checksums      skip the sha256 check of the dataset before the search (shards are still
                      checked for presence and shape; a changed byte goes unnoticed)
  --json              print the summary as one JSON object (last stdout line)

kubernetes executor:
  --context NAME --namespace NAME --image IMAGE --parallelism N --cpu Q --memory Q --dry-run
  --cluster-data /data/NAME   trials read the dataset there on the caplab-data PVC (mounted read-only;
                      made by a data Job) instead of regenerating synthetic data; its checksum must
                      equal --data's

Progress goes to stderr. Ctrl-C stops cleanly: running trials end, finished ones stay recorded.`;

export async function run(args: string[]): Promise<number> {
  const parsed = parseCommand(
    args,
    {
      data: { type: 'string' },
      space: { type: 'string' },
      executor: { type: 'string' },
      workers: { type: 'string' },
      trials: { type: 'string' },
      seed: { type: 'string' },
      epochs: { type: 'string' },
      'early-stop': { type: 'boolean' },
      backend: { type: 'string' },
      out: { type: 'string' },
      resume: { type: 'boolean' },
      'retry-failed': { type: 'boolean' },
      'keep-failed': { type: 'boolean' },
      'no-checksums': { type: 'boolean' },
      force: { type: 'boolean' },
      json: { type: 'boolean' },
      context: { type: 'string' },
      namespace: { type: 'string' },
      image: { type: 'string' },
      parallelism: { type: 'string' },
      cpu: { type: 'string' },
      memory: { type: 'string' },
      'dry-run': { type: 'boolean' },
      'cluster-data': { type: 'string' },
    },
    HELP,
  );
  if (!parsed) return 0;
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const str = (k: string) => v[k] as string | undefined;
  if (!str('data')) throw new CaplabError('usage', '--data DIR is required.', { hint: 'Create a dataset with `caplab data generate --out data/base`.' });
  if (!str('out')) throw new CaplabError('usage', '--out DIR is required (the experiment folder).');
  const executor = (str('executor') ?? 'sequential') as ExecutorName;
  if (!EXECUTOR_NAMES.includes(executor)) {
    throw new CaplabError('usage', `--executor must be one of ${EXECUTOR_NAMES.join(', ')}, got "${executor}".`);
  }
  const kubernetes: KubernetesExecutorSettings = {};
  for (const k of ['context', 'namespace', 'image', 'cpu', 'memory'] as const) if (str(k) !== undefined) kubernetes[k] = str(k);
  if (str('parallelism') !== undefined) kubernetes.parallelism = numberOption('parallelism', str('parallelism'), { integer: true, positive: true, max: 10_000 });
  if (v['dry-run']) kubernetes.dryRun = true;
  if (str('cluster-data') !== undefined) kubernetes.dataPath = str('cluster-data');
  if (executor !== 'kubernetes' && Object.keys(kubernetes).length > 0) {
    const flag = Object.keys(kubernetes)[0].replace('dryRun', 'dry-run').replace('dataPath', 'cluster-data');
    throw new CaplabError('usage', `--${flag} applies only to --executor kubernetes.`);
  }
  if (str('workers') !== undefined && executor !== 'pool') {
    throw new CaplabError('usage', `--workers applies only to --executor pool (${executor === 'kubernetes' ? 'on kubernetes, --parallelism sets the pods at once' : 'sequential runs one trial at a time'}).`);
  }
  if (v['retry-failed'] && v['keep-failed']) throw new CaplabError('usage', '--retry-failed and --keep-failed contradict each other.', { hint: 'Pass one (--retry-failed is the default).' });
  if ((v['retry-failed'] || v['keep-failed']) && !v.resume) {
    throw new CaplabError('usage', `--${v['retry-failed'] ? 'retry-failed' : 'keep-failed'} applies only with --resume.`);
  }
  const backend = str('backend');
  if (backend !== undefined && !BACKENDS.includes(backend)) throw new CaplabError('usage', `--backend must be one of ${BACKENDS.join(', ')}, got "${backend}".`);
  const workers = numberOption('workers', str('workers'), { integer: true, positive: true, max: 256 });
  if (workers !== undefined && workers > availableParallelism()) {
    process.stderr.write(`search: note: --workers ${workers} is more than this machine's ${availableParallelism()} cores; trials will share cores, each slower\n`);
  }

  const controller = new AbortController();
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    process.stderr.write('\nstopping: ending running trials, keeping finished ones (Ctrl-C again to quit now)\n');
    controller.abort();
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  const bar = terminalBar(`search (${executor})`);
  let summary: SearchSummary;
  try {
    summary = await runSearch({
      data: str('data')!,
      out: str('out')!,
      space: str('space'),
      executor,
      workers,
      trials: numberOption('trials', str('trials'), { integer: true, positive: true, max: MAX_TRIALS }),
      seed: numberOption('seed', str('seed'), { integer: true, min: 0, max: 2 ** 32 - 1 }),
      epochs: numberOption('epochs', str('epochs'), { integer: true, positive: true, max: 100_000 }),
      earlyStop: Boolean(v['early-stop']),
      backend: backend as BackendChoice | undefined,
      resume: Boolean(v.resume),
      ...(v.resume && (v['retry-failed'] || v['keep-failed']) ? { retryFailed: !v['keep-failed'] } : {}),
      checksums: !v['no-checksums'],
      onProgress: (e) => {
        if (e.kind === 'message') process.stderr.write(`search: ${e.text}\n`);
      },
      force: Boolean(v.force),
      dryRun: Boolean(v['dry-run']),
      executorOptions: executor === 'kubernetes' ? { kubernetes } : {},
      signal: controller.signal,
      onStatus: (s) => bar.update(s.done, s.total, formatSearchStatus(s).split(' · ').slice(1).filter((p) => !/elapsed|left/.test(p)).join(' · ')),
    });
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }
  const { records: _records, ...json } = summary;
  printResult(Boolean(v.json), json, humanSummary(summary));
  return controller.signal.aborted ? 130 : 0;
}

function humanSummary(s: SearchSummary): string {
  const lines = [
    `${s.trials} trials on ${s.executor} (${s.workers} worker${s.workers === 1 ? '' : 's'}): ${s.ok} ok, ${s.failed} failed, ${s.stopped} stopped early` +
      (s.skipped ? `, ${s.skipped} already done` : '') +
      (s.cancelled ? `, ${s.cancelled} cancelled (rerun with --resume)` : '') +
      ` in ${s.seconds.toFixed(1)}s`,
  ];
  if (s.best) {
    const c = s.best.config;
    lines.push(
      `best ${s.best.trialId}: hidden ${JSON.stringify(c.hidden)}, lr ${c.learningRate}, batch ${c.batchSize}, epochs ${c.epochs} → ` +
        `validation mse ${s.best.validation.mse.toPrecision(4)}, r² ${s.best.validation.r2.toFixed(4)}, direction ${(s.best.validation.directionalAccuracy * 100).toFixed(1)}%`,
    );
  }
  for (const r of s.records.filter((r) => r.status === 'failed')) lines.push(`failed ${r.trialId}: ${r.failure ?? 'error'} — ${r.reason ?? ''}`);
  lines.push(`results: ${s.experiment}/trials.jsonl`);
  return lines.join('\n');
}
