/**
 * Every failure a user can cause through the `caplab` command ends in one caplab error line
 * (plus its "→ what to do" hint), never a stack trace; usage errors exit 2, others 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile, readFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinyDataset } from './helpers/tiny-dataset.ts';
import { runCaplab } from './helpers/cli.ts';


// Without CAPLAB_DEBUG, as a user runs it: no stack traces.
const caplab = (args: string[], cwd: string) => runCaplab(args, { cwd, env: { CAPLAB_DEBUG: undefined } });

/** The stderr of a failed command: exactly one `caplab …` line, hint lines, nothing like a stack. */
function assertOneErrorLine(label: string, stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  const errorLines = lines.filter((l) => l.startsWith('caplab'));
  assert.equal(errorLines.length, 1, `${label}: one caplab error line expected, got:\n${stderr}`);
  for (const l of lines) {
    assert.ok(!/^\s+at /.test(l) && !/node:internal|\.ts:\d+:\d+|^\w*Error\b|Error \[/.test(l), `${label}: stack-like line ${JSON.stringify(l)} in:\n${stderr}`);
  }
  const rest = lines.slice(lines.indexOf(errorLines[0]) + 1);
  assert.ok(rest.every((l) => l.startsWith('  → ')), `${label}: only hint lines may follow the error:\n${stderr}`);
  return errorLines[0];
}

test('the error cases a user can reach end in one caplab line with the right exit code', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'caplab-cli-errors-'));
  try {
    await writeFile(join(dir, 'afile'), 'x');
    await mkdir(join(dir, 'mine'));
    await writeFile(join(dir, 'mine', 'notes.txt'), 'my own');
    await mkdir(join(dir, 'ds'));
    const manifest = await writeTinyDataset(join(dir, 'ds'));
    // A dataset with a shard gone, and one whose manifest points a shard outside its folder.
    await mkdir(join(dir, 'holed'));
    await writeTinyDataset(join(dir, 'holed'));
    await unlink(join(dir, 'holed', manifest.shards[0].x.file));
    await mkdir(join(dir, 'escape'));
    await writeTinyDataset(join(dir, 'escape'));
    const m = JSON.parse(await readFile(join(dir, 'escape', 'manifest.json'), 'utf8'));
    m.shards[0].x.file = '../../../etc/passwd';
    await writeFile(join(dir, 'escape', 'manifest.json'), JSON.stringify(m));
    const grid = { type: 'grid', params: Object.fromEntries(['hidden', 'learningRate', 'batchSize', 'dropout', 'seed', 'epochs'].map((k, i) => [k, Array.from({ length: 10 }, (_, j) => (k === 'learningRate' || k === 'dropout' ? (j + 1) / 100 : j + 1 + i))])) };
    await writeFile(join(dir, 'grid.json'), JSON.stringify(grid));
    await writeFile(join(dir, 'huge.json'), ' '.repeat(2 << 20));
    await writeFile(join(dir, 'long.csv'), 'date,open,high,low,close,volume,Name\n' + '1'.repeat(200_000) + '\n');
    await writeFile(join(dir, 'hex.csv'), 'date,open,high,low,close,volume,Name\n2020-01-02,0x10,20,10,15,100,AAA\n');

    const cases: Array<[string, string[], number, RegExp]> = [
      ['unknown command', ['fly'], 2, /unknown command "fly"/],
      ['unknown option', ['data', 'generate', '--out', 'x', '--bogus'], 2, /bogus/],
      ['--out under a file', ['data', 'generate', '--out', 'afile/sub', '--tickers', '2', '--days', '30'], 1, /afile is a file, not a folder/],
      ['--out is a file, --force', ['data', 'generate', '--out', 'afile', '--tickers', '2', '--days', '30', '--force'], 1, /is a file/],
      ['--force on a folder caplab did not make', ['data', 'generate', '--out', 'mine', '--tickers', '2', '--days', '30', '--force'], 1, /not a dataset folder caplab made/],
      ['absurd scale', ['data', 'generate', '--out', 'big', '--scale', '1e9'], 1, /1\.000e\+11 tickers; the limit is 2,147,483,647/],
      ['scale past the disk', ['data', 'generate', '--out', 'big', '--scale', '15000'], 1, /needs about .* GiB .* free/],
      ['hex number flag', ['data', 'generate', '--out', 'x', '--scale', '0x10'], 2, /--scale must be a positive number, got "0x10"/],
      ['non-finite flag', ['data', 'generate', '--out', 'x', '--days', '1e999'], 2, /--days must be an integer from 20 to 100000/],
      ['fraction for an integer', ['data', 'generate', '--out', 'x', '--tickers', '1.5'], 2, /--tickers must be an integer/],
      ['missing csv', ['data', 'import', 'nope.csv', '--out', 'imp'], 1, /Cannot read CSV file nope\.csv/],
      ['endless csv line', ['data', 'import', 'long.csv', '--out', 'imp'], 1, /long\.csv:2: the line is longer than 65,536/],
      ['hex in csv', ['data', 'import', 'hex.csv', '--out', 'imp'], 1, /hex\.csv:2: open "0x10" is not a number/],
      ['bad --empty-ohl', ['data', 'import', 'hex.csv', '--out', 'imp', '--empty-ohl', 'guess'], 2, /--empty-ohl must be fill or skip/],
      ['info on no dataset', ['data', 'info', 'nowhere'], 1, /No dataset at nowhere/],
      ['shard path outside the folder', ['data', 'info', 'escape'], 1, /not a file inside the dataset folder/],
      ['train on a missing shard', ['train', '--data', 'holed', '--epochs', '1'], 1, /Shard .*train-0000-x\.npy is missing/],
      ['train with a hex learning rate', ['train', '--data', 'ds', '--lr', '0x1'], 2, /--lr must be a positive number/],
      ['train with an unknown backend', ['train', '--data', 'ds', '--backend', 'gpu'], 2, /--backend must be one of/],
      ['train with dropout 1', ['train', '--data', 'ds', '--dropout', '1'], 2, /dropout/],
      ['search on a huge grid', ['search', '--data', 'ds', '--out', 'e', '--space', 'grid.json'], 1, /the grid has 1,000,000 points; one experiment runs at most 10,000 trials/],
      ['search with an oversized space file', ['search', '--data', 'ds', '--out', 'e', '--space', 'huge.json'], 1, /huge\.json is 2,097,152 bytes; the limit is 1,048,576/],
      ['search on a missing shard', ['search', '--data', 'holed', '--out', 'e', '--epochs', '1'], 1, /cannot be used: Shard .* is missing/],
      ['search --out under a file', ['search', '--data', 'ds', '--out', 'afile/e', '--epochs', '1'], 1, /afile is a file, not a folder/],
      ['search into a user folder', ['search', '--data', 'ds', '--out', 'mine', '--epochs', '1', '--force'], 1, /holds other files \(notes\.txt\)/],
      ['search --workers on sequential', ['search', '--data', 'ds', '--out', 'e', '--workers', '2'], 2, /--workers applies only to --executor pool/],
      ['search --resume --force', ['search', '--data', 'ds', '--out', 'e', '--resume', '--force'], 2, /contradict/],
      ['search --keep-failed without --resume', ['search', '--data', 'ds', '--out', 'e', '--keep-failed'], 2, /applies only with --resume/],
      ['search --seed on a grid', ['search', '--data', 'ds', '--out', 'e', '--seed', '3'], 2, /applies only to a random space/],
      ['search --trials past the limit', ['search', '--data', 'ds', '--out', 'e', '--trials', '1e6'], 2, /--trials must be a positive integer up to 10000, got "1e6"/],
      ['probe with a bad scale list', ['probe', '--scales', '1,x'], 2, /--scales/],
      ['a value that starts with a dash', ['probe', '--budget', '-5GiB'], 2, /--budget' argument is ambiguous/],
      ['import with no files', ['data', 'import', '--out', 'imp'], 2, /needs one or more CSV files/],
      ['cluster unknown subcommand', ['cluster', 'explode'], 2, /Unknown cluster command/],
      ['worker with a broken spec', ['worker', '--spec-json', '{nope'], 2, /not valid JSON/],
    ];
    for (const [label, args, code, pattern] of cases) {
      const r = await caplab(args, dir);
      assert.equal(r.code, code, `${label}: exit ${r.code}, stderr:\n${r.stderr}`);
      const line = assertOneErrorLine(label, r.stderr);
      assert.match(line, pattern, `${label}`);
    }
    // None of them wrote anything where it was refused.
    assert.equal(await readFile(join(dir, 'afile'), 'utf8'), 'x');
    assert.equal(await readFile(join(dir, 'mine', 'notes.txt'), 'utf8'), 'my own');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an internal error, a full disk and a stack overflow each become one caplab line with what to do', async () => {
  const { describeError, EXIT } = await import('../lib/cli/errors.ts');
  const bug = describeError('train', new TypeError("Cannot read properties of undefined (reading 'x')"));
  assert.equal(bug.code, EXIT.internal);
  assert.equal(bug.text.split('\n').length, 2);
  assert.match(bug.text, /^caplab train: internal error: Cannot read properties/);
  const full = describeError('data', Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write', path: '/x/y.npy' }));
  assert.deepEqual(full, { text: 'caplab data: cannot write /x/y.npy: the disk is full.\n  → Free some space or write to another disk.', code: 1 });
  const stack = describeError('search', new RangeError('Maximum call stack size exceeded'));
  assert.match(stack.text, /ran out of memory \(Maximum call stack size exceeded\)/);
});
