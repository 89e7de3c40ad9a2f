// `npm test`: register the kernel, build what notebooks import, then run every test file.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
await local?.release();
process.exit(r.status ?? 1);

async function startLocalControlPlane(): Promise<{ release: () => Promise<void> } | undefined> {
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
  // Other runners (other worktrees) share it: each registers as a user, and the last one out
  // stops a control plane that a suite started, whoever started it; one started with
  // `npm run cluster:local -- up` stays.
  const users = join(r.state.dir, 'users');
  mkdirSync(users, { recursive: true });
  writeFileSync(join(users, String(process.pid)), '');
  return {
    async release() {
      rmSync(join(users, String(process.pid)), { force: true });
      const { alive } = await import('../k8s/local/proc.ts');
      const { readState } = await import('../k8s/local/state.ts');
      const others = readdirSync(users).filter((p) => alive(Number(p)));
      if (r.state.owner !== 'suite' || readState()?.startedAt !== r.state.startedAt) return;
      if (others.length > 0) return console.error(`local control plane: left running for ${others.length} other test process(es)`);
      await down();
    },
  };
}
