import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { trainModel, loadDataset, type InMemoryDataset } from '../lib/train/index.ts';
import { isCaplabError } from '../lib/errors.ts';
import { tinyDataset } from './helpers/tiny-dataset.ts';

let ds: Awaited<ReturnType<typeof tinyDataset>>;
let data: InMemoryDataset;
// 300-row batches: 150 rows per thread, above the split threshold (128); 700 rows leave a short last batch (100 rows, not split).
const config = { hidden: [16, 8], epochs: 2, batchSize: 300, learningRate: 0.01 };

before(async () => {
  ds = await tinyDataset({ rows: { train: 700, validation: 80, test: 80 }, features: 6 });
  data = await loadDataset(ds.dir);
});
after(() => ds.cleanup());

for (const backend of ['wasm', 'cpu'] as const) {
  test(`a step split over two threads trains like one thread, up to float rounding (${backend})`, async () => {
    const one = await trainModel(data, { config, backend, threads: 1 });
    const two = await trainModel(data, { config, backend, threads: 2 });
    assert.equal(two.epochs.length, one.epochs.length);
    for (let e = 0; e < one.epochs.length; e++) {
      assert.ok(Math.abs(two.epochs[e].loss - one.epochs[e].loss) < 1e-5, `epoch ${e + 1} loss ${two.epochs[e].loss} vs ${one.epochs[e].loss}`);
      assert.ok(Math.abs(two.epochs[e].valLoss - one.epochs[e].valLoss) < 1e-5, `epoch ${e + 1} val ${two.epochs[e].valLoss} vs ${one.epochs[e].valLoss}`);
    }
    // Not bit-identical: the shares' gradients are summed in another order (so the split really ran).
    assert.notDeepEqual(two.epochs.map((e) => e.loss), one.epochs.map((e) => e.loss));
  });
}

test('with dropout every step stays on one thread, so results match exactly', async () => {
  const c = { ...config, dropout: 0.2 };
  const one = await trainModel(data, { config: c, backend: 'wasm', threads: 1 });
  const two = await trainModel(data, { config: c, backend: 'wasm', threads: 2 });
  assert.deepEqual(two.epochs.map((e) => e.loss), one.epochs.map((e) => e.loss));
});

test('rejects a thread count that is not a positive integer', async () => {
  for (const threads of [0, 1.5, -1]) {
    await assert.rejects(trainModel(data, { config, backend: 'wasm', threads }), (e: unknown) => isCaplabError(e, 'bad-config') && /threads/.test(e.message));
  }
});
