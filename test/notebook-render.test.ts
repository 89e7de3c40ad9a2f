import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeSelfContained, externalLoads } from '../scripts/notebooks.ts';

test('rendering drops scripts and stylesheets that would load from disk or the network', () => {
  const page = [
    '<script src="file:///usr/share/javascript/requirejs/require.min.js"></script>',
    '<script type="text/javascript" src="https://cdn.example/mathjax.js"></script>',
    '<link rel="stylesheet" href="//cdn.example/x.css">',
    '<script type="text/x-mathjax-config">MathJax.Hub.Config({})</script>',
    '<script>window.inline = 1;</script>',
  ].join('\n');
  assert.equal(externalLoads(page).length, 3);
  const clean = makeSelfContained(page);
  assert.deepEqual(externalLoads(clean), []);
  assert.match(clean, /window\.inline = 1/);
  assert.doesNotMatch(clean, /mathjax/i);
});

test('a failed cell gets a red marker and a banner line naming it; cells without a slide type get the default', async () => {
  const { prepareForRender, notebookErrors, bannerHtml } = await import('../scripts/render.ts');
  const nb = {
    metadata: {},
    cells: [
      { cell_type: 'markdown', metadata: {}, source: '# Title\ntext' },
      { cell_type: 'markdown', metadata: {}, source: 'Only words, for the speaker.' },
      { cell_type: 'code', metadata: {}, source: 'a()', outputs: [{ output_type: 'error', ename: 'ReferenceError', evalue: 'a is not defined', traceback: [] }] },
      { cell_type: 'code', metadata: {}, source: 'b()', outputs: [] },
      { cell_type: 'code', metadata: { slideshow: { slide_type: 'skip' } }, source: 'c()', outputs: [] },
    ],
  };
  const errors = notebookErrors(nb);
  assert.deepEqual(errors, [{ cell: 3, ename: 'ReferenceError', evalue: 'a is not defined' }]);
  const out = prepareForRender(nb);
  assert.deepEqual(out.cells.map((c) => (c.metadata!.slideshow as { slide_type: string }).slide_type), ['slide', 'notes', '-', 'subslide', 'skip']);
  assert.match(JSON.stringify(out.cells[2].outputs![0]), /caplab-cell-failed.*This cell failed: ReferenceError: a is not defined/);
  assert.equal(nb.cells[2].outputs!.length, 1, 'the executed notebook itself is left as it ran');
  const banner = bannerHtml({ at: '2026-12-02T10:00:00.000Z', preset: 'tiny', host: 'h', cores: 2, memoryBytes: 2 ** 33, cluster: 'none' }, errors);
  assert.match(banner, /id="caplab-failed" role="alert">✖ 1 cell failed: <a href="#caplab-failed-3">cell 3: ReferenceError: a is not defined/);
  assert.match(banner, /Ran 2026-12-02 10:00:00 UTC · preset <b>tiny<\/b> · machine h \(2 cores, 8\.0 GiB\) · cluster: none/);
});

test('a deck gets reveal.js inlined from npm in place of its links and placeholder, and loads nothing from outside', async () => {
  const { inlineReveal, REVEAL_PREFIX, REVEAL_THEME, REVEAL_SCRIPTS_MARK } = await import('../scripts/render.ts');
  const deck = `<html><head><link rel="stylesheet" href="${REVEAL_PREFIX}/dist/reveal.css"><link rel="stylesheet" href="${REVEAL_PREFIX}/dist/theme/${REVEAL_THEME}.css" id="theme"></head><body><div class="reveal"><div class="slides"></div></div>${REVEAL_SCRIPTS_MARK}</body></html>`;
  const out = inlineReveal(deck);
  assert.doesNotMatch(out, new RegExp(`href="${REVEAL_PREFIX}`));
  assert.match(out, /Reveal\.initialize\(/);
  assert.deepEqual(externalLoads(out), []);
  assert.doesNotMatch(out, /@import url\(["']?https?:/, 'the theme pulls no web fonts');
  assert.throws(() => inlineReveal('<html></html>'), /no reveal\.js script placeholder/);
});

test('every notebook marks each cell for the slides: the deck opens on a title slide and every heading starts a slide', async () => {
  const { readdirSync, readFileSync } = await import('node:fs');
  const dir = new URL('../notebooks/', import.meta.url);
  const names = readdirSync(dir).filter((f) => f.endsWith('.ipynb'));
  assert.ok(names.length >= 7, `${names.length} notebooks`);
  const kinds = new Set(['slide', 'subslide', 'fragment', '-', 'notes', 'skip']);
  for (const name of names) {
    const nb = JSON.parse(readFileSync(new URL(name, dir), 'utf8')) as { cells: Array<{ cell_type: string; source: string | string[]; metadata?: { slideshow?: { slide_type?: string } } }> };
    nb.cells.forEach((c, i) => {
      const kind = c.metadata?.slideshow?.slide_type;
      assert.ok(kind !== undefined && kinds.has(kind), `${name} cell ${i + 1}: slide_type ${JSON.stringify(kind)}; mark it slide, subslide, fragment, -, notes or skip`);
      const source = Array.isArray(c.source) ? c.source.join('') : c.source;
      if (c.cell_type === 'markdown' && /^\s*#{1,3} /.test(source)) assert.equal(kind, 'slide', `${name} cell ${i + 1} is a heading`);
    });
    assert.equal(nb.cells[0].metadata?.slideshow?.slide_type, 'slide', `${name} opens on a slide`);
  }
});
