/**
 * Too big is found out before anything is written: absurd sizes are refused with the number and
 * the limit, a dataset the disk cannot hold is refused with both sizes, and a huge grid is
 * sampled without being built.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandSearchSpace, generateDataset, isCaplabError, loadSearchSpace, MAX_TRIALS } from '../lib/index.ts';

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'caplab-too-big-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('an absurd scale is refused at once with the count and the limit, and nothing is written', async () => {
  await withTmp(async (dir) => {
    await assert.rejects(generateDataset({ out: join(dir, 'x'), scale: 1e9 }), (e) => isCaplabError(e, 'too-big') && /1\.000e\+11 tickers; the limit is 2,147,483,647/.test(e.message));
    await assert.rejects(generateDataset({ out: join(dir, 'x'), scale: 1e7 }), (e) => isCaplabError(e, 'too-big') && /10,000,000 shard groups of 100; the limit is 20,000 groups/.test(e.message));
    assert.deepEqual(await readdir(dir), []);
  });
});

test('a dataset larger than the free disk space is refused before writing, with both sizes', async () => {
  await withTmp(async (dir) => {
    // 1.5M tickers × 1260 days × 84 bytes ≈ 148 GiB: more than a test machine has free.
    await assert.rejects(generateDataset({ out: join(dir, 'x'), scale: 15_000 }), (e) => {
      assert.ok(isCaplabError(e, 'disk-space'), String(e));
      assert.match(e.message, /1,890,000,000 rows\) needs about 148 GiB plus 7\.\d+ GiB to spare, but .* has [\d.]+ [GMT]iB free/);
      return true;
    });
    assert.deepEqual(await readdir(dir), []);
  });
});

const hugeGrid = {
  type: 'grid' as const,
  params: {
    seed: Array.from({ length: 40_000 }, (_, i) => i),
    learningRate: Array.from({ length: 1000 }, (_, i) => (i + 1) / 1e4),
    batchSize: Array.from({ length: 1000 }, (_, i) => i + 1),
  },
  fixed: { epochs: 1 },
};

test('a grid past the trial limit is refused with its size, unless trials takes its first points', async () => {
  await assert.rejects(loadSearchSpace(hugeGrid), (e) => isCaplabError(e, 'too-big') && /40,000,000,000 points; one experiment runs at most 10,000 trials/.test(e.message));
  const space = await loadSearchSpace(hugeGrid, { trials: 3 });
  const trials = expandSearchSpace(space);
  assert.deepEqual(trials.map((t) => [t.config.seed, t.config.learningRate, t.config.batchSize]), [[0, 1e-4, 1], [0, 1e-4, 2], [0, 1e-4, 3]]);
  await assert.rejects(loadSearchSpace(hugeGrid, { trials: MAX_TRIALS + 1 }), (e) => isCaplabError(e, 'too-big'));
});

test('taking a few points of a 4·10^10-point grid does not build the grid (it runs in 128 MB of heap)', () => {
  const code = `const m = await import(${JSON.stringify(new URL('../lib/index.ts', import.meta.url).href)});
    const space = ${JSON.stringify(hugeGrid)};
    console.log(m.expandSearchSpace({ ...space, trials: 5 }).length);`;
  const r = spawnSync(process.execPath, ['--max-old-space-size=128', '--input-type=module', '-'], { input: code, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr.slice(0, 500));
  assert.equal(r.stdout.trim().split('\n').at(-1), '5');
});

test('a space file that expands past its bounds through YAML aliases is refused', async () => {
  await withTmp(async (dir) => {
    const lines = ['a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]'];
    for (const [name, prev] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd']]) lines.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    lines.push('type: grid', 'params: {hidden: *e}');
    await writeFile(join(dir, 'bomb.yaml'), lines.join('\n'));
    await assert.rejects(loadSearchSpace(join(dir, 'bomb.yaml')), (e) => isCaplabError(e, 'bad-space') && /expands to more than 100,000 values/.test(e.message));
    await writeFile(join(dir, 'deep.json'), '{"type":"grid","params":{"hidden":' + '['.repeat(5000) + ']'.repeat(5000) + '}}');
    await assert.rejects(loadSearchSpace(join(dir, 'deep.json')), (e) => isCaplabError(e, 'bad-space') && /nests deeper than 32 levels/.test(e.message));
  });
});
