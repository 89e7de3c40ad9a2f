// The browser check itself: it must see plots draw, and must fail a page whose plot does not draw,
// that logs an error, or that reaches for the network.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { figureHtml } from '../lib/report/display.ts';
import { figure } from '../lib/report/figure.ts';
import { CHROMIUM, checkPage, launchBrowser, type Browser } from '../scripts/browser.ts';

const require = createRequire(import.meta.url);
const plotly = () => `<script>${readFileSync(require.resolve('plotly.js-dist-min/plotly.min.js'), 'utf8').replace(/<\/script/gi, '<\\/script')}</script>`;
const fig = (n: number) => figureHtml(figure([{ type: 'bar', x: ['a', 'b'], y: [n, n + 1] }], { title: { text: `plot ${n}` } }));

let dir: string;
let browser: Browser;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'caplab-browser-'));
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await rm(dir, { recursive: true, force: true });
});

async function page(name: string, body: string): Promise<string> {
  const path = join(dir, `${name}.html`);
  await writeFile(path, `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>${body}</body></html>`);
  return path;
}

test('Debian chromium is where the browser tests look for it', () => {
  assert.ok(existsSync(CHROMIUM), `no chromium at ${CHROMIUM}: apt-get install -y chromium`);
});

test('a page with plotly inlined draws every figure, logs no error and loads nothing from outside', async () => {
  const r = await checkPage(browser, await page('good', plotly() + fig(1) + fig(2)), { expectPlots: 2, screenshot: join(dir, 'good.png') });
  assert.deepEqual({ plots: r.plots, drawn: r.drawn, errors: r.consoleErrors, blocked: r.blocked }, { plots: 2, drawn: 2, errors: [], blocked: [] });
  assert.ok(existsSync(join(dir, 'good.png')));
});

test('a figure that cannot draw (plotly.js missing) is caught: no plot div gets its svg', async () => {
  const r = await checkPage(browser, await page('no-plotly', fig(1)), { expectPlots: 1, timeoutMs: 8_000 });
  assert.equal(r.drawn, 0);
});

test('a script error and a request to the network are caught, and the request never leaves', async () => {
  const r = await checkPage(browser, await page('bad', '<script src="https://cdn.example.invalid/x.js"></script><script>undefinedFunction()</script>'), { expectPlots: 0 });
  assert.deepEqual(r.blocked, ['https://cdn.example.invalid/x.js']);
  assert.ok(r.consoleErrors.some((e) => /undefinedFunction is not defined/.test(e)), r.consoleErrors.join('\n'));
});
