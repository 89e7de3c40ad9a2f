import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, readFile, writeFile, truncate, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDataset, datasetInfo, readDatasetSample, featureCorrelation, isCaplabError } from '../lib/index.ts';
import { readNpy, writeNpy, readNpyInto, NpyWriter, FEATURE_NAMES } from '../lib/data/index.ts';

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'caplab-data-format-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const SMALL = { tickers: 4, days: 80 };

test('an array written as .npy reads back equal, whole or into a larger buffer', async () => {
  await withTmp(async (dir) => {
    const x = Float32Array.from({ length: 35 }, (_, i) => i * 0.5 - 3);
    const m = Int32Array.from({ length: 14 }, (_, i) => i * 7 - 20);
    await writeNpy(join(dir, 'x.npy'), x, [7, 5]);
    await writeNpy(join(dir, 'm.npy'), m, [7, 2]);
    const rx = await readNpy(join(dir, 'x.npy'));
    assert.deepEqual(rx.shape, [7, 5]);
    assert.deepEqual(rx.data, x);
    assert.deepEqual((await readNpy(join(dir, 'm.npy'))).data, m);
    const into = new Float32Array(40).fill(9);
    await readNpyInto(join(dir, 'x.npy'), into, 5);
    assert.deepEqual(into.subarray(5), x);
    assert.ok(into.subarray(0, 5).every((v) => v === 9));
    // The streaming writer produces the same bytes as the one-shot writer.
    const w = await NpyWriter.create(join(dir, 'w.npy'), '<f4', 5);
    await w.append(x.subarray(0, 10));
    await w.append(x.subarray(10));
    const closed = await w.close();
    assert.ok((await readFile(join(dir, 'w.npy'))).equals(await readFile(join(dir, 'x.npy'))));
    assert.equal(closed.rows, 7);
  });
});

const python = '/usr/bin/python3';
const hasNumpy = existsSync(python) && spawnSync(python, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;

test('numpy.load reads the shards with the shapes and values the manifest records', { skip: hasNumpy ? false : 'no numpy in /usr/bin/python3' }, async () => {
  await withTmp(async (dir) => {
    const s = await generateDataset({ ...SMALL, out: join(dir, 'd') });
    const sh = s.manifest.shards[0];
    const script = `
import json, sys, numpy as np
d = sys.argv[1]
x = np.load(d + '/${sh.x.file}'); y = np.load(d + '/${sh.y.file}'); m = np.load(d + '/${sh.meta!.file}')
print(json.dumps({"x": [list(x.shape), str(x.dtype), float(x[1, 2])], "y": [list(y.shape), str(y.dtype), float(y[3])], "m": [list(m.shape), str(m.dtype), int(m[5, 1])]}))
`;
    const r = spawnSync(python, ['-c', script, join(dir, 'd')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout);
    const x = (await readNpy(join(dir, 'd', sh.x.file))).data;
    const y = (await readNpy(join(dir, 'd', sh.y.file))).data;
    const m = (await readNpy(join(dir, 'd', sh.meta!.file))).data;
    assert.deepEqual(got.x, [[sh.rows, FEATURE_NAMES.length], 'float32', x[1 * FEATURE_NAMES.length + 2]]);
    assert.deepEqual(got.y, [[sh.rows], 'float32', y[3]]);
    assert.deepEqual(got.m, [[sh.rows, 2], 'int32', m[11]]);
  });
});

test('datasetInfo verifies a whole dataset and describes it', async () => {
  await withTmp(async (dir) => {
    const s = await generateDataset({ ...SMALL, out: join(dir, 'd'), scale: 2 });
    const info = await datasetInfo(join(dir, 'd'));
    assert.equal(info.checksumsVerified, true);
    assert.deepEqual(info.rows, s.manifest.rows);
    assert.equal(info.files, 3 * s.manifest.shards.length);
    let bytes = 0;
    for (const sh of s.manifest.shards) for (const f of [sh.x, sh.y, sh.meta!]) bytes += (await stat(join(dir, 'd', f.file))).size;
    assert.equal(info.bytes, bytes);
    assert.equal(s.bytes, bytes);
  });
});

test('datasetInfo rejects a shard whose checksum does not match the manifest, naming the file', async () => {
  await withTmp(async (dir) => {
    const s = await generateDataset({ ...SMALL, out: join(dir, 'd') });
    const file = join(dir, 'd', s.manifest.shards[1].y.file);
    const bytes = await readFile(file);
    bytes[bytes.length - 1] ^= 0xff;
    await writeFile(file, bytes);
    await assert.rejects(datasetInfo(join(dir, 'd')), (e) => isCaplabError(e, 'checksum-mismatch') && e.message.includes(s.manifest.shards[1].y.file) && /regenerate/.test(e.message));
    await datasetInfo(join(dir, 'd'), { checksums: false });
  });
});

test('datasetInfo rejects a truncated .npy shard, naming the file and the sizes', async () => {
  await withTmp(async (dir) => {
    const s = await generateDataset({ ...SMALL, out: join(dir, 'd') });
    const name = s.manifest.shards[0].x.file;
    await truncate(join(dir, 'd', name), s.manifest.shards[0].x.bytes - 10);
    await assert.rejects(datasetInfo(join(dir, 'd'), { checksums: false }), (e) => isCaplabError(e, 'npy-truncated') && e.message.includes(name) && /truncated/.test(e.message));
    await assert.rejects(readNpy(join(dir, 'd', name)), (e) => isCaplabError(e, 'npy-truncated'));
  });
});

test('datasetInfo names a missing shard and a folder with no manifest', async () => {
  await withTmp(async (dir) => {
    const s = await generateDataset({ ...SMALL, out: join(dir, 'd') });
    await rm(join(dir, 'd', s.manifest.shards[2].meta!.file));
    await assert.rejects(datasetInfo(join(dir, 'd')), (e) => isCaplabError(e, 'shard-missing') && e.message.includes(s.manifest.shards[2].meta!.file));
    await assert.rejects(datasetInfo(join(dir, 'none')), (e) => isCaplabError(e, 'dataset-missing') && /caplab data generate/.test(e.message));
  });
});

test('readDatasetSample spreads rows over the split and matches the shards', async () => {
  await withTmp(async (dir) => {
    const s = await generateDataset({ ...SMALL, out: join(dir, 'd'), scale: 2 });
    const sample = await readDatasetSample(join(dir, 'd'), { split: 'validation', rows: 20 });
    assert.equal(sample.x.length, 20);
    assert.equal(sample.x[0].length, FEATURE_NAMES.length);
    assert.equal(new Set(sample.meta.map((m) => m[0])).size, 8, 'every ticker of both shard groups appears');
    const shards = s.manifest.shards.filter((x) => x.split === 'validation');
    const y = (await Promise.all(shards.map(async (x) => Array.from((await readNpy(join(dir, 'd', x.y.file))).data)))).flat();
    assert.deepEqual(sample.y, sample.index.map((i) => y[i]));
    assert.ok(sample.index.every((v, i) => i === 0 || v > sample.index[i - 1]));
    assert.ok(new Set(sample.meta.map((m) => m[1])).size >= 5, 'rows come from many dates');
    assert.deepEqual((await readDatasetSample(join(dir, 'd'), { split: 'validation', rows: 20 })).index, sample.index);
    assert.ok(sample.date.every((d) => /^\d{4}-\d{2}-\d{2}$/.test(d) && d >= s.manifest.split.validationStart && d < s.manifest.split.testStart));
    assert.ok(sample.ticker.every((t) => /^SYN\d{5}$/.test(t)));
    const all = await readDatasetSample(join(dir, 'd'), { split: 'test', rows: 10_000 });
    assert.equal(all.y.length, s.manifest.rows.test);
    const c = featureCorrelation(sample);
    assert.equal(c.names.at(-1), 'next_return');
    assert.equal(c.matrix.length, FEATURE_NAMES.length + 1);
    for (let i = 0; i < c.matrix.length; i++) {
      assert.ok(Math.abs(c.matrix[i][i] - 1) < 1e-9);
      for (let j = 0; j < c.matrix.length; j++) assert.ok(Math.abs(c.matrix[i][j] - c.matrix[j][i]) < 1e-12 && Math.abs(c.matrix[i][j]) <= 1 + 1e-9);
    }
  });
});
