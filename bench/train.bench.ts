/**
 * Training throughput (rows/s) of caplab's trainModel against PyTorch on the same generated
 * data and the same MLP, measured in the same run. Prints one JSON line per figure on stdout and
 * a table on stderr.
 *
 *   node bench/train.bench.ts              caplab on each backend this machine has (tfjs-node when
 *                                          installed, wasm) vs PyTorch, 1 thread and default threads
 *   node bench/train.bench.ts --variants   also the routes caplab does not take: tf.layers model.fit,
 *                                          autodiff (tf.train.adam.minimize on a hand-built MLP), cpu backend
 *   options: --repeat N (default 2, or CAPLAB_BENCH_REPEAT), --shapes "64-32@256;256@16",
 *            --backends node,wasm (default: node when installed, and wasm)
 *
 * Big-batch shapes (≥ 512 rows) also get a figure with one thread per core (TrainOptions.threads),
 * labelled with its thread count and set against PyTorch on as many threads.
 *
 * Every measurement runs in a fresh process; shapes are interleaved (caplab, then PyTorch, per
 * shape) so background load hits both sides alike, and each figure is the best of N runs.
 * Epoch 1 warms up; epoch 2 is timed, in wall time and in CPU time (rows/cpu-s: what a busy
 * machine disturbs least; compared only against one-thread PyTorch).
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const PYTHON = process.env.CAPLAB_BENCH_PYTHON ?? '/usr/bin/python3';

interface Shape {
  hidden: number[];
  batch: number;
  /** Steps per timed epoch (undefined: the whole train split). */
  maxSteps?: number;
  note: string;
}

const SHAPES: Shape[] = [
  { hidden: [64, 32], batch: 256, note: 'default model' },
  { hidden: [64, 32], batch: 1024, note: 'default model, big batch' },
  { hidden: [64], batch: 16, maxSteps: 1250, note: "search's small shape (20k rows)" },
  { hidden: [256], batch: 16, maxSteps: 1250, note: "search's large shape (20k rows)" },
  { hidden: [256, 256], batch: 1024, note: 'wide model, big batch (the pathology)' },
];

/** tfjs-node when installed (`node scripts/setup-native.ts`), then wasm: what `auto` would pick, and the fallback. */
function defaultBackends(): string[] {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return ['node', 'wasm'];
  } catch {
    return ['wasm'];
  }
}

const shapeName = (s: Shape) => (s.hidden.length ? s.hidden.join('-') : 'linear');

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/**
 * One measurement in this process: prints {rows_per_s, rows_per_cpu_s, ...} as its last stdout
 * line. Validation is cut to 256 rows so the CPU time between epochs is nearly all training.
 */
async function measure(kind: string, data: string, hidden: number[], batch: number, maxSteps: number | undefined, backend: string, threads = 1): Promise<void> {
  const lib = await import('../lib/index.ts');
  const full = await lib.loadDataset(data);
  const width = full.features.length;
  const ds = { ...full, validation: { x: full.validation.x.subarray(0, 256 * width), y: full.validation.y.subarray(0, 256), rows: 256 } };
  if (kind === 'caplab') {
    const cpu: number[] = [cpuSeconds()];
    const r = await lib.trainModel(ds, {
      config: { hidden, batchSize: batch, epochs: 2, seed: 42 }, backend: backend as 'auto', maxSteps, threads,
      onEpoch: () => void cpu.push(cpuSeconds()),
    });
    const e = r.epochs[1];
    console.log(JSON.stringify({ backend: r.backend, threads, rows: e.rows, seconds: e.rows / e.rowsPerSecond, rows_per_s: e.rowsPerSecond, rows_per_cpu_s: e.rows / (cpu[2] - cpu[1]), loss: e.loss }));
    return;
  }
  const { tf } = await import('../lib/train/tf.ts');
  const name = await lib.initBackend(backend as 'auto');
  if (kind === 'autodiff') {
    // The textbook custom loop: variables per layer, tf.train.adam().minimize() inside a tidy,
    // gradients by tfjs autodiff; the same batches as caplab's loop.
    const stats = lib.fitStandardization(ds.train.x, ds.train.y, ds.train.rows, width);
    const scaler = lib.scalerFrom(stats);
    const { layers } = lib.mlpLayout(width, hidden);
    const init = lib.initialParams(width, { hidden, seed: 42 });
    const vars = layers.flatMap((l) => [
      tf.variable(tf.tensor2d(init.subarray(l.wOffset, l.bOffset), [l.fanIn, l.fanOut])),
      tf.variable(tf.tensor1d(init.subarray(l.bOffset, l.bOffset + l.fanOut))),
    ]);
    const optimizer = tf.train.adam(0.001);
    const b = lib.allocateBatch(batch, width);
    const order = Uint32Array.from({ length: ds.train.rows }, (_, i) => i);
    const steps = Math.min(Math.floor(ds.train.rows / batch), maxSteps ?? Infinity);
    const epoch = () => {
      for (let s = 0; s < steps; s++) {
        lib.fillBatch(b, ds.train, order, s * batch, batch, scaler);
        tf.tidy(() => {
          const xb = tf.tensor2d(b.x.subarray(0, batch * width), [batch, width]);
          const yb = tf.tensor2d(b.y.subarray(0, batch), [batch, 1]);
          optimizer.minimize(() => {
            let h: import('../lib/train/tf.ts').Tensor = xb;
            for (let i = 0; i < layers.length; i++) {
              h = tf.add(tf.matMul(h, vars[2 * i]), vars[2 * i + 1]);
              if (i < layers.length - 1) h = tf.relu(h);
            }
            return tf.mean(tf.square(tf.sub(h, yb)));
          }, false, vars);
        });
      }
    };
    epoch();
    const t0 = performance.now();
    const c0 = cpuSeconds();
    epoch();
    const seconds = (performance.now() - t0) / 1000;
    console.log(JSON.stringify({ backend: name, rows: steps * batch, seconds, rows_per_s: (steps * batch) / seconds, rows_per_cpu_s: (steps * batch) / (cpuSeconds() - c0) }));
    return;
  }
  // kind === 'layers': the stock tf.layers route (dense stack + model.fit), for comparison.
  const rows = Math.min(ds.train.rows, maxSteps ? maxSteps * batch : Infinity);
  const x = ds.train.x.slice(0, rows * width);
  const y = ds.train.y.slice(0, rows);
  for (let k = 0; k < width; k++) {
    let m = 0;
    for (let i = 0; i < rows; i++) m += x[i * width + k];
    m /= rows;
    let v = 0;
    for (let i = 0; i < rows; i++) v += (x[i * width + k] - m) ** 2;
    const sd = Math.sqrt(v / rows) || 1;
    for (let i = 0; i < rows; i++) x[i * width + k] = (x[i * width + k] - m) / sd;
  }
  const model = tf.sequential();
  hidden.forEach((units, i) => model.add(tf.layers.dense({ units, activation: 'relu', ...(i === 0 ? { inputShape: [width] } : {}) })));
  model.add(tf.layers.dense({ units: 1, ...(hidden.length === 0 ? { inputShape: [width] } : {}) }));
  model.compile({ optimizer: tf.train.adam(0.001), loss: 'meanSquaredError' });
  const xs = tf.tensor2d(x, [rows, width]);
  const ys = tf.tensor2d(y, [rows, 1]);
  let t0 = 0;
  let c0 = 0;
  const times: number[] = [];
  const cpus: number[] = [];
  await model.fit(xs, ys, {
    batchSize: batch, epochs: 2, shuffle: true, verbose: 0,
    callbacks: {
      onEpochBegin: async () => { t0 = performance.now(); c0 = cpuSeconds(); },
      onEpochEnd: async () => { times.push((performance.now() - t0) / 1000); cpus.push(cpuSeconds() - c0); },
    },
  });
  console.log(JSON.stringify({ backend: name, rows, seconds: times[1], rows_per_s: rows / times[1], rows_per_cpu_s: rows / cpus[1] }));
}

interface Measured {
  rows_per_s: number;
  rows_per_cpu_s?: number;
  backend?: string;
  threads?: number;
  error?: string;
}

function runChild(command: string, args: string[], env: Record<string, string> = {}): Measured {
  const r = spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 24 });
  const last = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    const parsed = JSON.parse(last) as Measured;
    if (r.status !== 0 && !parsed.error) parsed.error = `exit ${r.status}`;
    return parsed;
  } catch {
    return { rows_per_s: NaN, error: r.error ? String(r.error.message) : `exit ${r.status}: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}` };
  }
}

/** Best of `repeat` runs (the least disturbed by other work), for wall and CPU figures separately. */
function best(repeat: number, run: () => Measured): Measured {
  const runs = Array.from({ length: repeat }, run);
  const ok = runs.filter((m) => !m.error && Number.isFinite(m.rows_per_s));
  if (ok.length === 0) return runs[0];
  const top = ok.reduce((a, m) => (m.rows_per_s > a.rows_per_s ? m : a));
  return { ...top, rows_per_cpu_s: Math.max(...ok.map((m) => m.rows_per_cpu_s ?? 0)) || undefined };
}

function caplabChild(kind: string, data: string, s: Shape, backend: string, env: Record<string, string> = {}, maxSteps = s.maxSteps, threads = 1): Measured {
  const args = [fileURLToPath(import.meta.url), '--measure', kind, '--data', data, '--hidden', s.hidden.join(','), '--batch', String(s.batch), '--backend', backend, '--threads', String(threads)];
  if (maxSteps) args.push('--max-steps', String(maxSteps));
  return runChild(process.execPath, args, env);
}

function torchChild(data: string, s: Shape, threads: number): Measured {
  const args = [join(here, 'peer_torch.py'), '--data', data, '--hidden', s.hidden.join(','), '--batch', String(s.batch), '--threads', String(threads)];
  if (s.maxSteps) args.push('--max-steps', String(s.maxSteps));
  return runChild(PYTHON, args);
}

const round = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? Math.round(v) : null);
const ratioOf = (a: number | undefined, b: number | undefined) => (a && b && Number.isFinite(a / b) ? Number((a / b).toFixed(3)) : null);
const fmtRate = (v: number | undefined) => String(round(v) ?? '-').padStart(8);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      measure: { type: 'string' }, data: { type: 'string' }, hidden: { type: 'string' }, batch: { type: 'string' },
      'max-steps': { type: 'string' }, backend: { type: 'string' }, variants: { type: 'boolean' }, shapes: { type: 'string' },
      repeat: { type: 'string' }, backends: { type: 'string' }, threads: { type: 'string' },
    },
  });
  if (values.measure) {
    const hidden = (values.hidden ?? '').split(',').filter(Boolean).map(Number);
    await measure(values.measure, values.data as string, hidden, Number(values.batch), values['max-steps'] ? Number(values['max-steps']) : undefined, values.backend ?? 'auto', Number(values.threads ?? 1));
    return;
  }
  const repeat = Number(values.repeat ?? process.env.CAPLAB_BENCH_REPEAT ?? 2);
  const { generateDataset } = await import('../lib/index.ts');
  const root = await mkdtemp(join(tmpdir(), 'caplab-bench-train-'));
  try {
    const data = join(root, 'base');
    const summary = await generateDataset({ out: data, scale: 1, seed: 42 });
    const trainRows = summary.manifest.rows.train;
    console.error(`# train throughput: synthetic market, ${trainRows} train rows × ${summary.features} features; epoch 2 of 2 timed; best of ${repeat} runs per figure`);
    const backends = values.backends ? values.backends.split(',').filter(Boolean) : defaultBackends();
    console.error(`# caplab measured on: ${backends.join(', ')}`);
    const cores = cpus().length;
    const torchProbe = runChild(PYTHON, ['-c', 'import torch, json; print(json.dumps({"rows_per_s": 0, "threads": torch.get_num_threads()}))']);
    const torchOk = !torchProbe.error;
    if (!torchOk) console.error(`# PyTorch not available (${PYTHON}: ${torchProbe.error}); printing caplab's figures alone`);
    // "one thread" caps torch and its BLAS/OpenMP pools; "default" is torch as installed (torch's
    // own pool and OpenBLAS's, which may use every core); "all cores" sets both to the core count.
    const peerModes: Array<{ threads: number; label: string }> = [{ threads: 1, label: 'one thread' }, { threads: 0, label: `default (torch ${torchProbe.threads ?? '?'} thr + BLAS pool)` }];
    if (torchOk && cores > 1) peerModes.push({ threads: cores, label: `${cores} threads` });
    const shapes = values.shapes ? SHAPES.filter((s) => values.shapes!.split(';').includes(`${shapeName(s)}@${s.batch}`)) : SHAPES;
    const table: string[] = [`${'shape'.padEnd(14)} ${'who'.padEnd(36)} ${'rows/s'.padStart(8)} ${'rows/cpu-s'.padStart(10)}  ratio (wall, cpu)`];
    for (const s of shapes) {
      const rows = s.maxSteps ? Math.min(trainRows, s.maxSteps * s.batch) : trainRows;
      const label = `${shapeName(s)} @${s.batch}`.padEnd(14);
      const base = { bench: 'train-throughput', shape: shapeName(s), batch: s.batch, rows, note: s.note, load1: Number(loadavg()[0].toFixed(2)) };
      const oursBy = backends.map((backend) => {
        const m = best(repeat, () => caplabChild('caplab', data, s, backend));
        if (m.error) console.error(`# caplab ${label} on ${backend} failed: ${m.error}`);
        table.push(`${label} ${`caplab (${m.backend ?? backend})`.padEnd(36)} ${fmtRate(m.rows_per_s)} ${fmtRate(m.rows_per_cpu_s).padStart(10)}`);
        return { ...m, backend: m.backend ?? backend };
      });
      // Two threads per step (TrainOptions.threads, wasm) where batches are big enough to split;
      // compared below with PyTorch on as many threads, never with its one-thread figure.
      const threaded = cores > 1 && s.batch >= 512 && backends.includes('wasm') ? best(repeat, () => caplabChild('caplab', data, s, 'wasm', {}, s.maxSteps, cores)) : null;
      if (threaded) table.push(`${label} ${`caplab (${threaded.backend ?? 'wasm'}, ${cores} threads)`.padEnd(36)} ${fmtRate(threaded.rows_per_s)} ${fmtRate(threaded.rows_per_cpu_s).padStart(10)}`);
      if (values.variants) {
        // Slow variants get fewer steps (about 20k rows) so the whole run stays in minutes.
        const capped = Math.min(s.maxSteps ?? Infinity, Math.max(4, Math.ceil(20000 / s.batch)));
        const variants: Record<string, Measured> = {
          'tf.layers model.fit (wasm)': best(repeat, () => caplabChild('layers', data, s, 'wasm', {}, capped)),
          'autodiff + tf.train.adam (wasm)': best(repeat, () => caplabChild('autodiff', data, s, 'wasm', {}, capped)),
          'caplab loop on the cpu backend': best(1, () => caplabChild('caplab', data, s, 'cpu', {}, capped)),
        };
        for (const [name, m] of Object.entries(variants)) {
          console.log(JSON.stringify({ ...base, bench: 'train-throughput-variant', variant: name, backend: m.backend, caplab_rows_per_s: round(m.rows_per_s), caplab_rows_per_cpu_s: round(m.rows_per_cpu_s), error: m.error }));
          table.push(`${label} ${name.padEnd(36)} ${fmtRate(m.rows_per_s)} ${fmtRate(m.rows_per_cpu_s).padStart(10)}`);
        }
      }
      if (!torchOk) {
        for (const ours of oursBy) {
          console.log(JSON.stringify({ ...base, backend: ours.backend, caplab_rows_per_s: round(ours.rows_per_s), caplab_rows_per_cpu_s: round(ours.rows_per_cpu_s), peer: null, note: `PyTorch not available at ${PYTHON}`, error: ours.error }));
        }
        continue;
      }
      for (const mode of peerModes) {
        const peer = best(repeat, () => torchChild(data, s, mode.threads));
        const ratios: string[] = [];
        // One line per backend, each against the same peer measurement.
        for (const ours of oursBy) {
          const ratio = ratioOf(ours.rows_per_s, peer.rows_per_s);
          // CPU-time ratios only mean "speed" when torch ran one thread (BLAS pool included).
          const ratioCpu = mode.threads === 1 ? ratioOf(ours.rows_per_cpu_s, peer.rows_per_cpu_s) : null;
          console.log(JSON.stringify({
            ...base, backend: ours.backend, caplab_rows_per_s: round(ours.rows_per_s), caplab_rows_per_cpu_s: round(ours.rows_per_cpu_s),
            peer: 'pytorch', peer_threads: peer.threads, peer_threads_mode: mode.threads === 0 ? 'default' : `set ${mode.threads}`,
            peer_rows_per_s: round(peer.rows_per_s), peer_rows_per_cpu_s: round(peer.rows_per_cpu_s), ratio, ratio_cpu: ratioCpu, error: ours.error ?? peer.error,
          }));
          ratios.push(`${oursBy.length > 1 ? `${ours.backend} ` : ''}${ratio ?? '-'}, ${ratioCpu ?? '-'}`);
        }
        table.push(`${label} ${`PyTorch ${mode.label}`.padEnd(36)} ${fmtRate(peer.rows_per_s)} ${fmtRate(peer.rows_per_cpu_s).padStart(10)}  ${ratios.join('; ')}`);
        if (threaded && mode.threads === cores) {
          const r2 = ratioOf(threaded.rows_per_s, peer.rows_per_s);
          console.log(JSON.stringify({
            ...base, bench: 'train-throughput-threads', backend: threaded.backend, threads: cores, caplab_rows_per_s: round(threaded.rows_per_s), caplab_rows_per_cpu_s: round(threaded.rows_per_cpu_s),
            peer: 'pytorch', peer_threads: peer.threads, peer_rows_per_s: round(peer.rows_per_s), ratio: r2, error: threaded.error ?? peer.error,
          }));
          table.push(`${label} ${`  caplab ${cores} threads ÷ PyTorch ${cores} threads`.padEnd(36)} ${''.padStart(8)} ${''.padStart(10)}  ${r2 ?? '-'}, -`);
        }
      }
    }
    console.error(table.join('\n'));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
