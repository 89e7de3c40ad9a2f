/** `caplab search`: a hyperparameter search on an executor, results in an experiment folder. */
import {
  CaplabError,
  EXECUTOR_NAMES,
  formatSearchStatus,
  runSearch,
  terminalBar,
  type BackendChoice,
  type ExecutorName,
  type KubernetesExecutorSettings,
  type SearchSummary,
} from '../index.ts';
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
  --retry-failed      with --resume, run failed trials again too (default: a failure is a result)
  --force             start the experiment in --out over
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
  if (str('parallelism') !== undefined) kubernetes.parallelism = numberOption('parallelism', str('parallelism'), { integer: true, positive: true });
  if (v['dry-run']) kubernetes.dryRun = true;
  if (str('cluster-data') !== undefined) kubernetes.dataPath = str('cluster-data');
  if (executor !== 'kubernetes' && Object.keys(kubernetes).length > 0) {
    const flag = Object.keys(kubernetes)[0].replace('dryRun', 'dry-run').replace('dataPath', 'cluster-data');
    throw new CaplabError('usage', `--${flag} applies only to --executor kubernetes.`);
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
      workers: numberOption('workers', str('workers'), { integer: true, positive: true }),
      trials: numberOption('trials', str('trials'), { integer: true, positive: true }),
      seed: numberOption('seed', str('seed'), { integer: true, min: 0 }),
      epochs: numberOption('epochs', str('epochs'), { integer: true, positive: true }),
      earlyStop: Boolean(v['early-stop']),
      backend: str('backend') as BackendChoice | undefined,
      resume: Boolean(v.resume),
      retryFailed: Boolean(v['retry-failed']),
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
