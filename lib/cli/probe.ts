/** `caplab probe`: find where this machine runs out of memory, scale by scale. */
import { totalmem } from 'node:os';
import { CaplabError, formatBytes, formatProbeReport, parseBytes, runProbe, terminalBar, type BackendChoice, type ProgressEvent } from '../index.ts';
import { numberOption, parseCommand, printResult } from './output.ts';

const HELP = `usage: caplab probe [--scales 1,10,50,200] [--budget SIZE] [--data-root DIR] [--tickers T --days D]
                    [--steps N] [--keep-going] [--heap-limit MIB] [--backend B] [--pod-memory SIZE]
                    [--out FILE] [--json]

For each scale in turn, a child process loads that dataset into memory and trains on it while
this process samples its memory (/proc VmRSS/VmHWM, every 50 ms). Where this machine lets a
memory cgroup be made, the child runs inside one sized to the budget and the kernel kills it
there, as it kills a pod (recorded oom, killed); elsewhere a child that goes over the budget is
killed by this process and recorded over-budget. One that runs out of memory for real is
recorded oom (alloc, heap, wasm or killed). Larger scales are skipped after a failure unless --keep-going.

  --scales LIST      data scales to probe, in order (default: the preset's, full = 1,10,50,200)
  --budget SIZE      memory a child may use: 512MiB, 8GiB, 8GB, 1.5GiB or bytes
                     (default: what this machine has available, MemAvailable or cgroup limit)
  --data-root DIR    one dataset per scale, generated when missing (default data/probe)
  --tickers T        base (1×) tickers of generated data (default: the preset's)
  --days D           trading days of generated data (default: the preset's)
  --seed S           generator seed (default 42)
  --steps N          training steps per run; 0 = one full epoch (default 100)
  --keep-going       probe larger scales even after one failed
  --heap-limit MIB   the child's --max-old-space-size (caps the JS heap only)
  --backend B        auto | node | wasm | cpu (default auto)
  --pod-memory SIZE  largest pod memory limit in the pod plan (default: min(budget, 4Gi))
  --out FILE         save the report as JSON (written atomically)
  --json             print the report as one JSON line on stdout`;

const OPTIONS = {
  scales: { type: 'string' },
  budget: { type: 'string' },
  'data-root': { type: 'string' },
  tickers: { type: 'string' },
  days: { type: 'string' },
  seed: { type: 'string' },
  steps: { type: 'string' },
  'keep-going': { type: 'boolean' },
  'heap-limit': { type: 'string' },
  backend: { type: 'string' },
  'pod-memory': { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
} as const;

function parseScales(raw: string | undefined): number[] | undefined {
  if (raw === undefined) return undefined;
  const scales = raw.split(',').map((s) => s.trim());
  const bad = scales.find((s) => !/^\d+$/.test(s) || Number(s) < 1);
  if (bad !== undefined || scales.length === 0) {
    throw new CaplabError('usage', `--scales must be a comma-separated list of positive integers, got "${raw}".`, { hint: 'e.g. --scales 1,10,50,200' });
  }
  return scales.map(Number);
}

function progress(): (e: ProgressEvent) => void {
  let bar: ReturnType<typeof terminalBar> | null = null;
  let lastRunningLine = 0;
  return (e) => {
    if (e.kind === 'shard-written') {
      bar ??= terminalBar('  generate');
      bar.update(e.done, e.total, `${(e.rows / 1e6).toFixed(2)}M rows`);
      if (e.done >= e.total) bar = null;
    } else if (e.kind === 'message') {
      process.stderr.write(`  ${e.text}\n`);
    } else if (e.kind === 'probe-scale') {
      const peak = e.peakBytes ? `, peak ${(e.peakBytes / 2 ** 20).toFixed(0)} MiB` : '';
      if (e.status === 'running' && e.peakBytes) {
        // Memory samples arrive every 250 ms: print one every few seconds on a pipe.
        const now = Date.now();
        if (!process.stderr.isTTY && now - lastRunningLine < 3000) return;
        lastRunningLine = now;
        if (process.stderr.isTTY) return void process.stderr.write(`\r\x1b[K${e.scale}×: running${peak}`);
      }
      process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[K' : ''}${e.scale}×: ${e.status}${peak}\n`);
    }
  };
}

export async function run(args: string[]): Promise<number> {
  const parsed = parseCommand(args, OPTIONS, HELP);
  if (!parsed) return 0;
  const v = parsed.values;
  const backend = v.backend as BackendChoice | undefined;
  if (backend !== undefined && !['auto', 'node', 'wasm', 'cpu'].includes(backend)) {
    throw new CaplabError('usage', `--backend must be auto, node, wasm or cpu, got "${backend}".`);
  }
  // Parse sizes here so a bad one is a usage error (exit 2) naming the flag.
  const usage = (f: () => number) => {
    try {
      return f();
    } catch (e) {
      if (e instanceof CaplabError) throw new CaplabError('usage', e.message, { cause: e });
      throw e;
    }
  };
  if (v.budget !== undefined) {
    const budget = usage(() => parseBytes(v.budget as string, '--budget'));
    if (budget > totalmem()) {
      process.stderr.write(`probe: note: --budget ${v.budget} is more than this machine's ${formatBytes(totalmem())} of memory; a child will meet the machine's limit (a real out-of-memory) before the budget\n`);
    }
  }
  if (v['pod-memory'] !== undefined) usage(() => parseBytes(v['pod-memory'] as string, '--pod-memory'));
  const report = await runProbe({
    scales: parseScales(v.scales),
    budget: v.budget,
    dataRoot: v['data-root'],
    tickers: numberOption('tickers', v.tickers, { integer: true, min: 1 }),
    days: numberOption('days', v.days, { integer: true, min: 1 }),
    seed: numberOption('seed', v.seed, { integer: true, min: 0 }),
    steps: numberOption('steps', v.steps, { integer: true, min: 0 }),
    keepGoing: v['keep-going'] ?? false,
    heapLimitMiB: numberOption('heap-limit', v['heap-limit'], { integer: true, min: 16, max: 1 << 20 }),
    backend,
    maxPodMemory: v['pod-memory'],
    out: v.out,
    onProgress: progress(),
  });
  printResult(v.json ?? false, report, formatProbeReport(report) + (v.out ? `\n\nsaved ${v.out}` : ''));
  // A scale that does not fit is the probe's finding, not an error.
  return 0;
}
