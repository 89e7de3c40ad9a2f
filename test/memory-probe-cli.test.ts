import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/caplab.js', import.meta.url));
const caplab = (args: string[]) => spawnSync(process.execPath, [BIN, 'probe', ...args], { encoding: 'utf8' });

test('rejects bad budget strings with a usage error naming the flag and value', () => {
  for (const bad of ['8 gigs', '-1GiB', '0']) {
    const r = caplab([`--budget=${bad}`]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`--budget "${bad}"`));
  }
  const r = caplab(['--scales', '1,ten']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--scales/);
});

test('probes, saves the report and prints it as one JSON line with --json', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'caplab-probe-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const out = join(dir, 'probe.json');
  const r = caplab(['--scales', '1,2', '--tickers', '4', '--days', '120', '--steps', '3', '--budget', '1.5GiB', '--data-root', dir, '--out', out, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(report.budgetBytes, 1.5 * 1024 ** 3);
  assert.deepEqual(report.runs.map((x: { outcome: string }) => x.outcome), ['ok', 'ok']);
  assert.match(r.stderr, /2×: ok/);
  assert.deepEqual(JSON.parse(await readFile(out, 'utf8')).runs, report.runs);
});
