import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCaplab } from './helpers/cli.ts';

const FIXTURE = join(import.meta.dirname, '..', 'data', 'fixtures', 'ohlcv-3-tickers.csv');

const caplab = (args: string[]) => runCaplab(['data', ...args]);

const lastJson = (stdout: string) => JSON.parse(stdout.trimEnd().split('\n').at(-1)!);

test('caplab data generate, import and info print one JSON object as the last stdout line with --json', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'caplab-data-cli-'));
  try {
    const gen = await caplab(['generate', '--scale', '2', '--tickers', '3', '--days', '60', '--seed', '9', '--out', join(dir, 'g'), '--json']);
    assert.equal(gen.code, 0, gen.stderr);
    const g = lastJson(gen.stdout);
    assert.equal(g.rows, 6 * 58);
    assert.equal(g.features, 18);
    assert.ok(g.bytes > 0 && g.seconds >= 0 && g.path === join(dir, 'g'));
    assert.match(gen.stderr, /generate \[#+\] 6\/6/);
    const imp = await caplab(['import', FIXTURE, '--out', join(dir, 'i'), '--json']);
    assert.equal(imp.code, 0, imp.stderr);
    assert.equal(lastJson(imp.stdout).tickers, 3);
    const info = await caplab(['info', join(dir, 'g'), '--json']);
    assert.equal(info.code, 0, info.stderr);
    const i = lastJson(info.stdout);
    assert.equal(i.rows.total, g.rows);
    assert.equal(i.checksumsVerified, true);
    const human = await caplab(['info', join(dir, 'i')]);
    assert.match(human.stdout, /csv dataset/);
    const again = await caplab(['generate', '--out', join(dir, 'g'), '--tickers', '3', '--days', '60']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists[\s\S]*--force/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('caplab data generate rejects a scale that is not a positive number with a usage error', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'caplab-data-cli-'));
  try {
    for (const scale of ['0', '-1', 'abc']) {
      const r = await caplab(['generate', `--scale=${scale}`, '--out', join(dir, 'x')]);
      assert.equal(r.code, 2, `scale ${scale}: ${r.stderr}`);
      assert.match(r.stderr, /--scale must be a positive number/);
    }
    const missing = await caplab(['generate', '--scale', '1']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--out/);
    assert.deepEqual(await readdir(dir), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
