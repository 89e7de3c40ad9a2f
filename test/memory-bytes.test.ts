import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podMemoryQuantity, floorMemoryQuantity } from '../lib/memory/bytes.ts';
import { formatBytes } from '../lib/util/format.ts';
import { parseBytes } from '../lib/util/quantity.ts';
import { isCaplabError } from '../lib/errors.ts';
import { parseCpu as parseKubeCpu, parseMemory as parseKubeMemory } from '../lib/cluster/units.ts';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

test('parses budgets in binary and decimal units and plain byte counts', () => {
  assert.equal(parseBytes('512MiB'), 512 * MiB);
  assert.equal(parseBytes('8GiB'), 8 * GiB);
  assert.equal(parseBytes('8GB'), 8e9);
  assert.equal(parseBytes('1.5GiB'), 1.5 * GiB);
  assert.equal(parseBytes('3Gi'), 3 * GiB);
  assert.equal(parseBytes('8 gib'), 8 * GiB);
  assert.equal(parseBytes('8589934592'), 8 * GiB);
  assert.equal(parseBytes(64 * MiB), 64 * MiB);
});

test('rejects budget strings that are not a positive size, naming the value', () => {
  for (const bad of ['8 gigs', '-1GiB', '0', '0GiB', '', 'GiB', '1.5', '8GiBs', '1e9', 'NaN', '12']) {
    assert.throws(
      () => parseBytes(bad, '--budget'),
      (e: unknown) => isCaplabError(e, 'bad-bytes') && e.message.includes(`"${bad}"`) && e.message.includes('--budget'),
      bad,
    );
  }
});

test('formats sizes in binary units', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1.5 * GiB), '1.5 GiB');
  assert.equal(formatBytes(300 * MiB), '300 MiB');
});

test('rounds pod memory up to a quantity a person would ask for', () => {
  assert.deepEqual(podMemoryQuantity(2.6 * GiB), { quantity: '3Gi', bytes: 3 * GiB });
  assert.deepEqual(podMemoryQuantity(2.2 * GiB), { quantity: '2560Mi', bytes: 2.5 * GiB });
  assert.deepEqual(podMemoryQuantity(300 * MiB), { quantity: '320Mi', bytes: 320 * MiB });
  assert.deepEqual(podMemoryQuantity(9.2 * GiB), { quantity: '10Gi', bytes: 10 * GiB });
  assert.deepEqual(podMemoryQuantity(1), { quantity: '16Mi', bytes: 16 * MiB });
  assert.deepEqual(floorMemoryQuantity(204.7 * MiB), { quantity: '204Mi', bytes: 204 * MiB });
});

test('one parser reads memory for the probe budget and for pods: Kubernetes suffixes and spelled-out units agree', () => {
  for (const [text, bytes] of [['512Mi', 512 * MiB], ['512MiB', 512 * MiB], ['1G', 1e9], ['1GB', 1e9], ['2k', 2000], ['1.5Gi', 1.5 * GiB]] as const) {
    assert.equal(parseBytes(text, 'size', 1), bytes, text);
    assert.equal(parseKubeMemory(text).bytes, bytes, text);
  }
});

test('ambiguous memory amounts are refused with a hint, for the budget and for pods alike', () => {
  const cases: Array<[string, RegExp]> = [['512m', /milli.*512Mi.*512M/], ['8g', /8Gi.*8G/], ['1K', /1Ki.*1k/]];
  for (const [text, hint] of cases) {
    for (const parse of [() => parseBytes(text, '--budget'), () => parseKubeMemory(text, '--memory')]) {
      assert.throws(parse, (e: unknown) => isCaplabError(e, 'bad-bytes') && e.message.includes(`"${text}"`) && hint.test(e.hint ?? ''), text);
    }
  }
  assert.throws(() => parseKubeCpu('2Gi'), (e: unknown) => isCaplabError(e, 'bad-quantity') && /not a CPU amount/.test((e as Error).message));
});
