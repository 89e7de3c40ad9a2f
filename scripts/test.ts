// `npm test`: register the kernel, build what notebooks import, then run every test file.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
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
// One local control plane for every test file that uses it (they run two at a time), started
// here and stopped at the end, instead of each file starting and stopping its own.
const local = files.some((f) => readFileSync(join(ROOT, f), 'utf8').includes('helpers/local-cluster')) ? await startLocalControlPlane() : undefined;
const r = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-timeout=900000', '--test-reporter=spec', ...files],
  { cwd: ROOT, stdio: 'inherit', env: { ...process.env, CAPLAB_TEST: '1' } },
);
if (local?.started) await local.stop();
process.exit(r.status ?? 1);

async function startLocalControlPlane(): Promise<{ started: boolean; stop: () => Promise<unknown> } | undefined> {
  const { builtBin } = await import('../k8s/local/build.ts');
  if (!builtBin()) {
    console.error('local control plane: binaries not built (npm run cluster:build); its tests are skipped');
    return undefined;
  }
  const { up } = await import('../k8s/local/up.ts');
  const { down } = await import('../k8s/local/down.ts');
  let r;
  try {
    r = await up({ owner: 'suite' });
  } catch (e) {
    // The tests that need it fail with their own message; the rest still run.
    console.error(`local control plane: ${(e as Error).message}`);
    return undefined;
  }
  console.error(r.already ? `local control plane: reusing ${r.state.server}` : `local control plane: up in ${r.state.upSeconds} s (${r.state.server})`);
  return { started: !r.already, stop: down };
}
