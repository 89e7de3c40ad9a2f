// Memory per row of data: the probe's fitted bytes per row (peak RSS of a child that loads a
// dataset and trains 100 steps, over a few small scales) against the raw float32 floor of
// (features + 1) × 4 bytes. Context in the same line: NumPy loading the same shards the usual way
// (np.load per shard + np.concatenate), fitted the same way.
//   node bench/memory.bench.ts [--scales 1,2,5,10]
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { dataPath, fitMemory, runProbe, type ProbeReport } from '../lib/index.ts';

const arg = process.argv.indexOf('--scales');
const scales = (arg > 0 ? process.argv[arg + 1] : '1,2,5,10').split(',').map(Number);
const tickers = 100;
const days = 1260;

const PEER = `
import json, resource, sys, os
import numpy as np
d = sys.argv[1]
m = json.load(open(os.path.join(d, 'manifest.json')))
parts = {}
for s in m['shards']:
    for role in ('x', 'y'):
        parts.setdefault((s['split'], role), []).append(np.load(os.path.join(d, s[role]['file'])))
held = {k: np.concatenate(v) for k, v in parts.items()}
del parts
print(json.dumps({'rows': m['rows']['total'], 'peak': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
`;

function numpyPeak(dir: string): { rows: number; peakBytes: number } | null {
  const r = spawnSync('/usr/bin/python3', ['-c', PEER, dir], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const v = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { rows: number; peak: number };
  return { rows: v.rows, peakBytes: v.peak };
}

const report: ProbeReport = await runProbe({
  scales,
  tickers,
  days,
  budget: '8GiB',
  steps: 100,
  dataRoot: dataPath('bench-memory'),
  onProgress: (e) => {
    if (e.kind === 'probe-scale' && e.status !== 'running') console.error(`# ${e.scale}×: ${e.status}`);
  },
});
const fit = report.fit;
if (!fit || report.runs.some((r) => r.outcome !== 'ok')) {
  console.error(`# probe did not finish every scale: ${report.runs.map((r) => `${r.scale}× ${r.outcome} ${r.reason ?? ''}`).join('; ')}`);
  process.exit(1);
}
const peer = report.runs.map((r) => numpyPeak(r.dataDir as string)).filter((p) => p !== null);
const peerFit = peer.length === report.runs.length ? fitMemory(peer, fit.features) : null;
const round = (v: number, d = 3) => Number(v.toFixed(d));
console.log(
  JSON.stringify({
    bench: 'memory-bytes-per-row',
    scales,
    rows: report.runs.map((r) => r.rows),
    features: fit.features,
    backend: report.provenance.backend,
    caplab_bytes_per_row: round(fit.perRowBytes, 1),
    caplab_fixed_bytes: Math.round(fit.fixedBytes),
    caplab_r2: round(fit.r2, 4),
    peer: 'raw-float32',
    peer_bytes_per_row: fit.rawBytesPerRow,
    ratio: round(fit.ratio),
    numpy_bytes_per_row: peerFit ? round(peerFit.perRowBytes, 1) : null,
    numpy_ratio: peerFit ? round(peerFit.ratio) : null,
    data: join('data', 'bench-memory'),
  }),
);
