// The local search's figures, each one JSON line with its peer and their ratio:
// - search-speedup: the same trials on the pool and sequentially, one worker process per trial;
//   speedup = sequential seconds ÷ pool seconds, parallel efficiency = speedup ÷ workers (ideal: the cores).
// - search-speedup-reused: the same, with worker processes reused between trials (the default).
// - executor-overhead: a trial that does nothing ('noop'), run `--noops` times by the sequential
//   executor, one process per spec; per-spec time beside the floor of any process-per-spec
//   design: spawning a bare `node -e 0`.
// - executor-overhead-reused: the same with the worker process reused between specs.
// Workers start from the compiled copy of lib/ (bin/build.js), which this builds first if needed.
//   node bench/search.bench.ts [--tickers 20] [--days 1260] [--epochs 1] [--trials 18] [--workers N] [--noops 50]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createSequentialExecutor, generateDataset, runSearch, type Spec } from '../lib/index.ts';

const { values } = parseArgs({
  options: {
    tickers: { type: 'string', default: '20' },
    days: { type: 'string', default: '1260' },
    epochs: { type: 'string', default: '1' },
    trials: { type: 'string', default: '18' },
    workers: { type: 'string', default: String(availableParallelism()) },
    noops: { type: 'string', default: '50' },
  },
});
const n = (k: keyof typeof values) => Number(values[k]);

spawnSync(process.execPath, [join(import.meta.dirname, '..', 'bin', 'build.js')], { stdio: ['ignore', 'ignore', 'inherit'] });
const root = await mkdtemp(join(tmpdir(), 'caplab-bench-search-'));
try {
  const data = await generateDataset({ out: join(root, 'data'), tickers: n('tickers'), days: n('days'), seed: 42 });
  for (const reuseWorkers of [false, true]) {
    const common = { data: data.path, epochs: n('epochs'), trials: n('trials'), executorOptions: { reuseWorkers } };
    const tag = reuseWorkers ? 'reused' : 'fresh';
    // Sequential first, then the pool, back to back on the same trials and data.
    const cpu0 = cpuSeconds();
    const seq = await runSearch({ ...common, out: join(root, `seq-${tag}`), executor: 'sequential' });
    const cpu1 = cpuSeconds();
    const pool = await runSearch({ ...common, out: join(root, `pool-${tag}`), executor: 'pool', workers: n('workers') });
    const cpu2 = cpuSeconds();
    const speedup = seq.seconds / pool.seconds;
    console.log(
      JSON.stringify({
        bench: reuseWorkers ? 'search-speedup-reused' : 'search-speedup',
        worker_processes: reuseWorkers ? 'reused between trials' : 'one per trial',
        trials: seq.trials,
        epochs: n('epochs'),
        train_rows: data.manifest.rows.train,
        backend: seq.records[0]?.backend,
        workers: pool.workers,
        cores: availableParallelism(),
        pool_s: round(pool.seconds),
        peer: 'sequential',
        peer_s: round(seq.seconds),
        speedup: round(speedup),
        efficiency: round(speedup / pool.workers),
        ideal: Math.min(pool.workers, availableParallelism()),
        // Cores each run got (this process and its workers' CPU seconds over wall seconds): on a
        // shared machine a pool that got no second core shows here, not as a slow executor.
        cores_used: [round((cpu2 - cpu1) / pool.seconds), round((cpu1 - cpu0) / seq.seconds)],
        cpu_s: [round(cpu2 - cpu1), round(cpu1 - cpu0)],
        mean_trial_s: round(seq.records.reduce((s, r) => s + r.seconds, 0) / seq.records.length),
        mean_train_s: round(seq.records.reduce((s, r) => s + (r.trainSeconds ?? 0), 0) / seq.records.length),
        ok: [seq.ok, pool.ok],
      }),
    );
  }

  const count = n('noops');
  const specs: Spec[] = Array.from({ length: count }, (_, i) => ({ id: `noop-${i}`, kind: 'noop', payload: {} }));
  const t1 = performance.now();
  for (let i = 0; i < count; i++) spawnSync(process.execPath, ['-e', '0']);
  const perNode = (performance.now() - t1) / count;
  for (const reuseWorkers of [false, true]) {
    const t0 = performance.now();
    const results = await createSequentialExecutor({ reuseWorkers }).run(specs);
    const perSpec = (performance.now() - t0) / count;
    const pids = new Set(results.map((r) => (r.result as { pid?: number } | undefined)?.pid));
    console.log(
      JSON.stringify({
        bench: reuseWorkers ? 'executor-overhead-reused' : 'executor-overhead',
        executor: 'sequential',
        specs: count,
        processes: pids.size,
        ok: results.filter((r) => r.status === 'ok').length,
        per_spec_ms: round(perSpec),
        peer: 'node -e 0 (bare process spawn)',
        peer_ms: round(perNode),
        ratio: round(perSpec / perNode),
      }),
    );
  }
} finally {
  await rm(root, { recursive: true, force: true });
}

/** CPU seconds of this process and its ended children so far (Linux /proc; ticks of 1/100 s). */
function cpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  // utime, stime, cutime, cstime are fields 14–17 of stat; here 11–14 after the command name.
  return [11, 12, 13, 14].reduce((s, i) => s + Number(fields[i]), 0) / 100;
}

function round(v: number): number {
  return Number(v.toPrecision(4));
}
