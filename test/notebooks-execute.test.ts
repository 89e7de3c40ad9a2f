// Every notebook runs headless, start to finish, on the tiny preset, and renders to a page that
// loads nothing from outside itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { listNotebooks, runNotebook, externalLoads, buildDist } from '../scripts/notebooks.ts';
import { ROOT } from '../scripts/jupyter.ts';

const CLUSTER_NOTEBOOKS = /^0[45]-/;

test('every notebook executes on the tiny preset and renders self-contained HTML', { timeout: 1_800_000 }, async (t) => {
  if (!existsSync(join(ROOT, 'dist', 'lib', 'index.js'))) await buildDist();
  const work = await mkdtemp(join(tmpdir(), 'caplab-nb-'));
  const env = { CAPLAB_DATA_ROOT: join(work, 'data'), CAPLAB_RESULTS_ROOT: join(work, 'results') };
  t.after(() => rm(work, { recursive: true, force: true }));
  const notebooks = listNotebooks();
  assert.ok(notebooks.length > 0, 'no notebooks found in notebooks/');
  for (const nb of notebooks) {
    const name = basename(nb);
    await t.test(name, async () => {
      const extra: Record<string, string> = { ...env };
      let close: (() => Promise<void>) | undefined;
      if (CLUSTER_NOTEBOOKS.test(name)) {
        // The cloud notebooks talk to the Kubernetes API double, as they would to a cluster.
        const fake = await import('./k8s-fake/index.ts');
        const cluster = await fake.startFakeCluster();
        extra.KUBECONFIG = cluster.kubeconfigPath;
        close = () => cluster.close();
      }
      try {
        const run = await runNotebook(nb, { outDir: join(work, 'out'), preset: 'tiny', env: extra, cellTimeout: 600 });
        assert.ok(run.ok, `${name} failed:\n${run.log.split('\n').slice(-60).join('\n')}`);
        const html = await readFile(run.html!, 'utf8');
        assert.deepEqual(externalLoads(html), [], `${name} renders with outside loads`);
      } finally {
        await close?.();
      }
    });
  }
});
