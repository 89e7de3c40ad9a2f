// `npm test`: register the kernel, build what notebooks import, then run every test file.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, setup } from './jupyter.ts';
import { buildDist } from './notebooks.ts';

setup({ quiet: true });
await buildDist();
const filter = process.argv.slice(2);
const files = readdirSync(join(ROOT, 'test'))
  .filter((f) => f.endsWith('.test.ts'))
  .filter((f) => filter.length === 0 || filter.some((x) => f.includes(x)))
  .sort()
  .map((f) => join('test', f));
const r = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-timeout=900000', '--test-reporter=spec', ...files],
  { cwd: ROOT, stdio: 'inherit', env: { ...process.env, CAPLAB_TEST: '1' } },
);
process.exit(r.status ?? 1);
