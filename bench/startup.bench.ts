// caplab's start-up, each one JSON line beside a bare `node -e 0` (the floor) and their ratio, in
// wall time and in CPU time (steadier than wall time on a shared machine):
// - cli-startup: `caplab --help` from the compiled copy of lib/ (bin/build.js; built first if needed).
// - cli-startup-sources: the same from the TypeScript sources (CAPLAB_FROM_SOURCES=1, type stripping).
// - worker-startup(-sources): `caplab worker` running one noop spec, from the compiled copy (the sources).
// - search-help(-sources): `caplab search --help`, a command that loads the public API (every module).
// The commands take turns run by run, so a change in the machine's load hits each alike.
//   node bench/startup.bench.ts [--runs 20]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' } } });
const runs = Number(values.runs);
const bin = join(import.meta.dirname, '..', 'bin', 'caplab.js');
spawnSync(process.execPath, [join(import.meta.dirname, '..', 'bin', 'build.js')], { stdio: ['ignore', 'ignore', 'inherit'] });

const noop = JSON.stringify({ id: 'noop', kind: 'noop', payload: {} });
const commands: Array<{ bench: string; args: string[]; env: Record<string, string>; ms: number; cpuMs: number }> = [
  { bench: 'bare', args: ['-e', '0'], env: {}, ms: 0, cpuMs: 0 },
  { bench: 'cli-startup', args: [bin, '--help'], env: {}, ms: 0, cpuMs: 0 },
  { bench: 'cli-startup-sources', args: [bin, '--help'], env: { CAPLAB_FROM_SOURCES: '1' }, ms: 0, cpuMs: 0 },
  { bench: 'worker-startup', args: [bin, 'worker', '--spec-json', noop], env: {}, ms: 0, cpuMs: 0 },
  { bench: 'worker-startup-sources', args: [bin, 'worker', '--spec-json', noop], env: { CAPLAB_FROM_SOURCES: '1' }, ms: 0, cpuMs: 0 },
  { bench: 'search-help', args: [bin, 'search', '--help'], env: {}, ms: 0, cpuMs: 0 },
  { bench: 'search-help-sources', args: [bin, 'search', '--help'], env: { CAPLAB_FROM_SOURCES: '1' }, ms: 0, cpuMs: 0 },
];
for (let i = -1; i < runs; i++) {
  for (const c of commands) {
    const cpu0 = childCpuMs();
    const t0 = performance.now();
    const r = spawnSync(process.execPath, c.args, { env: { ...process.env, ...c.env }, stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) throw new Error(`node ${c.args.join(' ')} failed: ${r.stderr}`);
    // Run -1 warms the caches (file system, compile cache) and is not counted.
    if (i >= 0) {
      c.ms += (performance.now() - t0) / runs;
      c.cpuMs += (childCpuMs() - cpu0) / runs;
    }
  }
}
const [bare, ...rest] = commands;
for (const c of rest) {
  console.log(
    JSON.stringify({
      bench: c.bench,
      runs,
      ms: round(c.ms),
      cpu_ms: round(c.cpuMs),
      peer: 'node -e 0 (bare process spawn)',
      peer_ms: round(bare.ms),
      peer_cpu_ms: round(bare.cpuMs),
      ratio: round(c.ms / bare.ms),
      cpu_ratio: round(c.cpuMs / bare.cpuMs),
    }),
  );
}

/** CPU milliseconds of this process's ended children (Linux /proc: cutime + cstime, 1/100 s ticks). */
function childCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

function round(v: number): number {
  return Number(v.toPrecision(4));
}
