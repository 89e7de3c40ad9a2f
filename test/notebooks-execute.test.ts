// Every notebook runs headless, start to finish, on the tiny preset, and renders to a page and a
// reveal.js deck that load nothing from outside themselves; then each page and deck is opened in
// Debian's chromium with the network cut off: the plots draw, nothing logs an error, the slides
// advance with the keyboard. Screenshots stay under build/test-notebooks/screenshots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { listNotebooks, runNotebook, externalLoads, buildDist } from '../scripts/notebooks.ts';
import { ROOT } from '../scripts/jupyter.ts';
import { indexHtml, runInfo, type IndexEntry } from '../scripts/render.ts';
import { checkDeck, checkPage, figuresInNotebook, launchBrowser } from '../scripts/browser.ts';
import { localClusterUnavailable, startLocalCluster } from './helpers/local-cluster.ts';
import { buildDataClaim } from '../lib/cluster/objects/pvc.ts';

const CLUSTER_NOTEBOOKS = /^0[45]-/;

test('every notebook executes on the tiny preset, renders a self-contained page and deck, and both work in a browser', { timeout: 1_800_000 }, async (t) => {
  if (!existsSync(join(ROOT, 'dist', 'lib', 'index.js'))) await buildDist();
  const work = await mkdtemp(join(tmpdir(), 'caplab-nb-'));
  const out = join(ROOT, 'build', 'test-notebooks');
  const shots = join(out, 'screenshots');
  mkdirSync(shots, { recursive: true });
  const env = { CAPLAB_DATA_ROOT: join(work, 'data'), CAPLAB_RESULTS_ROOT: join(work, 'results') };
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close();
    await rm(work, { recursive: true, force: true });
  });
  // CAPLAB_TEST_NOTEBOOKS=03 runs only the notebooks whose names contain it (while working on one).
  const only = process.env.CAPLAB_TEST_NOTEBOOKS;
  const notebooks = listNotebooks().filter((nb) => !only || basename(nb).includes(only));
  assert.ok(notebooks.length > 0, `no notebooks found in notebooks/${only ? ` matching ${only}` : ''}`);
  const entries: IndexEntry[] = [];
  for (const nb of notebooks) {
    const name = basename(nb);
    await t.test(name, async () => {
      const extra: Record<string, string> = { ...env };
      let close: (() => Promise<void>) | undefined;
      if (name.startsWith('06-') && !localClusterUnavailable()) {
        // Data-parallel ranks need pods that reach each other by name (<job>-0.<job>) and a claim
        // for checkpoints: the real local control plane has both.
        const cluster = await startLocalCluster();
        const claim = buildDataClaim({ size: '1Gi' });
        await cluster.api.post(`/api/v1/namespaces/${cluster.namespace}/persistentvolumeclaims`, { ...claim, metadata: { ...claim.metadata, namespace: cluster.namespace } });
        extra.KUBECONFIG = cluster.kubeconfigPath;
        extra.CAPLAB_NAMESPACE = cluster.namespace;
        close = () => cluster.close();
      } else if (CLUSTER_NOTEBOOKS.test(name)) {
        // The cloud notebooks talk to the real local control plane (a namespace of their own), as
        // they would to a cluster; without its binaries they show what they would apply.
        if (!localClusterUnavailable()) {
          const cluster = await startLocalCluster();
          extra.KUBECONFIG = cluster.kubeconfigPath;
          close = () => cluster.close();
        }
      }
      try {
        const run = await runNotebook(nb, { outDir: out, preset: 'tiny', env: extra, cellTimeout: 600 });
        entries.push({ name: basename(nb, '.ipynb'), title: run.title, page: run.html && basename(run.html), deck: run.slides && basename(run.slides), errors: run.errors, seconds: run.seconds });
        assert.ok(run.ok, `${name} failed:\n${run.errors.map((e) => `cell ${e.cell}: ${e.ename}: ${e.evalue}`).join('\n')}\n${run.log.split('\n').slice(-60).join('\n')}`);
        const html = await readFile(run.html!, 'utf8');
        assert.deepEqual(externalLoads(html), [], `${name} renders with outside loads`);
        assert.deepEqual(externalLoads(await readFile(run.slides!, 'utf8')), [], `${name} deck has outside loads`);
        assert.match(html, /id="caplab-run-info">Ran .* · preset <b>tiny<\/b> · machine /);
        assert.doesNotMatch(html, /<strong>Refused to compare:<\/strong>/, `${name}: the comparison refused its inputs`);
        if (CLUSTER_NOTEBOOKS.test(name) && extra.KUBECONFIG) {
          // Pods that were processes here are labelled so, never as a cluster.
          assert.match(html, /a real Kubernetes control plane with \d+ process nodes? on this machine/, `${name}: the place is labelled`);
          assert.doesNotMatch(html, /cluster caplab-local/, `${name}: the local control plane passed for a cluster`);
          if (name.startsWith('05-')) assert.match(html, /(\d+) ok, 0 failed(<\/strong>|\*\*) of \1 trials on a real Kubernetes control plane/, `${name}: every trial ran as a pod`);
        }

        const figures = figuresInNotebook(run.executed);
        const stem = basename(nb, '.ipynb');
        const page = await checkPage(browser, run.html!, { expectPlots: figures, screenshot: join(shots, `${stem}.png`) });
        assert.ok(page.drawn >= figures, `${name}: ${page.drawn} of the notebook's ${figures} plotly figures drew on the page`);
        assert.deepEqual(page.consoleErrors, [], `${name}: console errors on the page`);
        assert.deepEqual(page.blocked, [], `${name}: the page asked for the network`);
        const deck = await checkDeck(browser, run.slides!, { screenshot: join(shots, `${stem}.slides.png`) });
        assert.equal(deck.visited, deck.total, `${name}: the keyboard reached ${deck.visited} of ${deck.total} slides`);
        assert.ok(deck.plots >= figures && deck.drawnOnTheirSlide === deck.plots, `${name}: ${deck.drawnOnTheirSlide} of ${deck.plots} plots drew on their slide (notebook made ${figures})`);
        assert.deepEqual(deck.consoleErrors, [], `${name}: console errors in the deck`);
        assert.deepEqual(deck.blocked, [], `${name}: the deck asked for the network`);
      } finally {
        await close?.();
      }
    });
  }
  await t.test('index page', async () => {
    const index = join(out, 'index.html');
    await writeFile(index, indexHtml(entries, runInfo('tiny')));
    const html = await readFile(index, 'utf8');
    for (const e of entries) {
      assert.ok(e.page && html.includes(`href="${e.page}"`) && e.deck && html.includes(`href="${e.deck}"`), `index links ${e.name}`);
    }
    const page = await checkPage(browser, index, { expectPlots: 0, screenshot: join(shots, 'index.png') });
    assert.deepEqual([page.consoleErrors, page.blocked], [[], []]);
  });
});
