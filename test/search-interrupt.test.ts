// Ctrl-C on `caplab search`: running trials are ended, finished ones are kept, and --resume runs
// only the rest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { watch } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDataset } from '../lib/data/index.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'caplab.js');

async function finishedTrials(file: string): Promise<number> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l.trim().startsWith('{')).length;
}

test('Ctrl-C ends the running trial, keeps the finished ones, and --resume runs only the rest', { timeout: 120_000 }, async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'caplab-interrupt-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const data = (await generateDataset({ out: join(root, 'data'), tickers: 4, days: 120, seed: 5 })).path;
  const out = join(root, 'exp');
  const trialsFile = join(out, 'trials.jsonl');
  const args = [BIN, 'search', '--data', data, '--out', out, '--trials', '4', '--epochs', '1', '--executor', 'sequential', '--backend', 'cpu', '--json'];

  await mkdir(out, { recursive: true });
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b) => (stdout += b));
  child.stderr.on('data', (b) => (stderr += b));
  // Interrupt as soon as the first trial's line lands in the store, as a person pressing Ctrl-C would.
  let interrupted = false;
  const watcher = watch(out, async () => {
    // Once only: a second Ctrl-C means "quit now" and skips the summary.
    if (!interrupted && (await finishedTrials(trialsFile)) >= 1 && !interrupted) {
      interrupted = true;
      child.kill('SIGINT');
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  watcher.close();

  assert.equal(code, 130, `exit code after Ctrl-C\n${stderr}`);
  assert.match(stderr, /stopping: ending running trials, keeping finished ones/);
  assert.ok(stdout.trim(), `no summary on stdout; stderr:\n${stderr}`);
  const summary = JSON.parse(stdout.trim().split("\n").pop()!);
  const kept = await finishedTrials(trialsFile);
  assert.ok(kept >= 1 && kept < 4, `kept ${kept} finished trials`);
  assert.equal(summary.ok, kept);

  const again = spawnSync(process.execPath, [...args.filter((a) => a !== '--json'), '--resume', '--json'], { encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);
  const resumed = JSON.parse(again.stdout.trim().split('\n').pop()!);
  assert.deepEqual([resumed.skipped, resumed.ran, resumed.ok], [kept, 4 - kept, 4]);
  assert.equal(await finishedTrials(trialsFile), 4);
});
