// caplab's start-up, each one JSON line beside a bare `node -e 0` (the floor) and their ratio:
// - cli-startup: `caplab --help` from the compiled copy of lib/ (bin/build.js; built first if needed).
// - cli-startup-sources: the same from the TypeScript sources (CAPLAB_FROM_SOURCES=1, type stripping).
// - worker-startup: `caplab worker` running one noop spec, from the compiled copy.
//   node bench/startup.bench.ts [--runs 20]
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' } } });
const runs = Number(values.runs);
const bin = join(import.meta.dirname, '..', 'bin', 'caplab.js');
spawnSync(process.execPath, [join(import.meta.dirname, '..', 'bin', 'build.js')], { stdio: ['ignore', 'ignore', 'inherit'] });

/** Mean milliseconds of `runs` runs of node with `args` (after one warm-up run). */
function timed(args: string[], env: Record<string, string> = {}): number {
  const run = () => {
    const r = spawnSync(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr}`);
  };
  run();
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) run();
  return (performance.now() - t0) / runs;
}

const bare = timed(['-e', '0']);
const noop = JSON.stringify({ id: 'noop', kind: 'noop', payload: {} });
const figures: Array<[string, string[], Record<string, string>]> = [
  ['cli-startup', [bin, '--help'], {}],
  ['cli-startup-sources', [bin, '--help'], { CAPLAB_FROM_SOURCES: '1' }],
  ['worker-startup', [bin, 'worker', '--spec-json', noop], {}],
];
for (const [bench, args, env] of figures) {
  const ms = timed(args, env);
  console.log(JSON.stringify({ bench, runs, ms: round(ms), peer: 'node -e 0 (bare process spawn)', peer_ms: round(bare), ratio: round(ms / bare) }));
}

function round(v: number): number {
  return Number(v.toPrecision(4));
}
