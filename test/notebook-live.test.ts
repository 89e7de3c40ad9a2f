// A notebook run the way a person runs it: a real Jupyter server (Notebook 7), the notebook opened
// in chromium, Run → Run All Cells from the menu, then what the page and the saved notebook show:
// every cell ran, no cell has an error, every plotly figure drew. A copy with a failing cell proves
// the check catches a cell error. Screenshot: build/notebook-live/01-data.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Page } from 'playwright-core';
import { ROOT, registerKernel } from '../scripts/jupyter.ts';
import { buildDist } from '../scripts/notebooks.ts';
import { launchBrowser, type Browser } from '../scripts/browser.ts';
import { INSTALL_HELP, locateLiveJupyter, startServer, type LiveServer } from '../scripts/jupyter-live.ts';

// The few browser globals the functions handed to page.evaluate use (see scripts/browser.ts).
interface PageElement {
  querySelector(selector: string): PageElement | null;
  textContent: string | null;
}
declare const document: { querySelectorAll(selector: string): Iterable<PageElement> & { length: number } };

interface SavedNotebook {
  cells: Array<{ cell_type: string; source: string | string[]; execution_count?: number | null; outputs?: Array<{ output_type: string; name?: string; text?: string | string[]; ename?: string; evalue?: string }> }>;
}

const text = (s: string | string[]) => (Array.isArray(s) ? s.join('') : s);

/** Figures a notebook's code asks for: its showFigure calls (read from the source, not the run). */
function figuresAsked(nb: SavedNotebook): number {
  return nb.cells.filter((c) => c.cell_type === 'code').reduce((n, c) => n + (text(c.source).match(/\bshowFigure\(/g)?.length ?? 0), 0);
}

/**
 * The tslab kernel sends no `error` output for a failing cell: it fails the execute reply (which
 * makes Run All stop) and prints the failure to stderr, which is what the page shows. Two shapes:
 * an uncaught exception with its stack through the cell's code ("at evalmachine.<anonymous>"),
 * and TypeScript diagnostics ("3:7 - Cannot find name 'x'."). Returns the line a reader needs.
 */
function tslabFailure(stderr: string): string | null {
  if (/^\s+at evalmachine\.<anonymous>/m.test(stderr)) {
    return stderr.match(/^(\w*(?:Error|Exception)\b.*)$/m)?.[1] ?? stderr.split('\n').find((l) => l.trim()) ?? 'uncaught exception';
  }
  return stderr.match(/^(\S+ )?\d+:\d+ - .*$/m)?.[0] ?? null;
}

/**
 * What is wrong with a notebook after Run All, from the notebook as the UI saved it and the plots
 * that drew on the page: cells that did not run, cells with an error, figures that did not draw.
 */
export function liveRunProblems(saved: SavedNotebook, figures: { asked: number; drawn: number }): string[] {
  const problems: string[] = [];
  saved.cells.forEach((c, i) => {
    if (c.cell_type !== 'code') return;
    for (const o of c.outputs ?? []) {
      if (o.output_type === 'error') problems.push(`cell ${i + 1}: ${o.ename}: ${o.evalue}`);
      const failure = o.output_type === 'stream' && o.name === 'stderr' ? tslabFailure(text(o.text ?? '')) : null;
      if (failure) problems.push(`cell ${i + 1}: ${failure}`);
    }
    if (c.execution_count == null) problems.push(`cell ${i + 1} did not run`);
  });
  if (figures.drawn < figures.asked) problems.push(`${figures.drawn} plotly figures drew on the page; the notebook asks for ${figures.asked}`);
  return problems;
}

let work: string;
let server: LiveServer;
let browser: Browser;
const shots = join(ROOT, 'build', 'notebook-live');

before(async () => {
  if (!locateLiveJupyter()) throw new Error(INSTALL_HELP);
  registerKernel();
  if (!existsSync(join(ROOT, 'dist', 'lib', 'index.js'))) await buildDist();
  // The server's root is a folder of its own outside the repository: the notebooks run from copies
  // (autosave never writes to notebooks/), and nothing else the suite does to the checkout (builds,
  // renders, cleanups under build/) can touch the files the server is saving. `../dist` next to the
  // copies is the build they import.
  work = await mkdtemp(join(tmpdir(), 'caplab-live-root-'));
  mkdirSync(join(work, 'notebooks'));
  symlinkSync(join(ROOT, 'dist'), join(work, 'dist'));
  server = await startServer({ root: work, env: { CAPLAB_PRESET: 'tiny', CAPLAB_DATA_ROOT: join(work, 'data'), CAPLAB_RESULTS_ROOT: join(work, 'results') } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

const auth = () => ({ Authorization: `token ${server.token}` });

/**
 * The notebook as saved, read from the server's folder on disk. Never through the server's contents
 * API while a save may be in flight: a GET that finds the file half-written makes the server move it
 * aside as `.invalid` and restore its backup, which the finishing save has just removed — the
 * notebook is then gone ("No such file or directory" on the next save).
 */
function savedNotebook(path: string): SavedNotebook | null {
  try {
    return JSON.parse(readFileSync(join(work, path), 'utf8')) as SavedNotebook;
  } catch {
    // Missing or half-written: not saved yet.
    return null;
  }
}

/** The kernel of the notebook at `path` (its session's) has started and waits for work. */
async function kernelIdle(path: string): Promise<boolean> {
  const r = await fetch(`${server.base}/api/sessions`, { headers: auth() });
  const sessions = (await r.json()) as Array<{ path: string; kernel: { execution_state: string } | null }>;
  return sessions.some((s) => s.path === path && s.kernel?.execution_state === 'idle');
}

/** Polls an observed condition (no fixed sleeps); fails with `what` when it never holds. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${server.log().split('\n').slice(-20).join('\n')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

// Prompts of the code cells as the page shows them: "[3]:" ran, "[*]:" queued or running, "[ ]:" not run.
const prompts = () => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map((p) => (p.textContent ?? '').trim());
const drawnPlots = () => [...document.querySelectorAll('.jp-OutputArea-output div.js-plotly-plot')].filter((p) => p.querySelector('svg.main-svg')).length;

/** Opens a notebook in the UI, runs every cell from the Run menu, saves it; returns what the UI saw. */
async function runAllInUi(page: Page, pathFromRoot: string, runTimeoutMs: number, screenshot?: string): Promise<{ saved: SavedNotebook; drawn: number; prompts: string[] }> {
  await page.goto(server.url(pathFromRoot), { waitUntil: 'domcontentloaded' });
  // The kernel chosen by the notebook's metadata has started and is waiting.
  await page.locator('.jp-Notebook .jp-CodeCell').first().waitFor({ timeout: 120_000 });
  await until('the kernel to start and be idle', () => kernelIdle(pathFromRoot), 120_000);
  // ...and the page is connected to it: the toolbar's kernel indicator says idle.
  const indicator = page.locator('.jp-Notebook-ExecutionIndicator');
  await page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').first().waitFor({ state: 'attached', timeout: 120_000 }).catch(async () => {
    throw new Error(`the page never showed its kernel idle: indicator ${JSON.stringify(await indicator.evaluateAll((es) => es.map((e) => (e as unknown as { dataset: { status?: string } }).dataset.status)))}`);
  });
  await page.locator('.lm-MenuBar-itemLabel', { hasText: /^Run$/ }).click();
  await page.locator('.lm-Menu-itemLabel', { hasText: /^Run All Cells$/ }).click();
  // Run All queues every cell at once ("[*]"); done is: nothing queued, the first cell numbered,
  // the kernel idle. (After an error the cells below it go back to "[ ]".)
  await page.waitForFunction(() => {
    const p = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map((e) => (e.textContent ?? '').trim());
    return p.length > 0 && /^\[\d+\]/.test(p[0]) && !p.some((x) => x.startsWith('[*]'));
  }, undefined, { timeout: runTimeoutMs, polling: 250 }).catch(async (e: Error) => {
    throw new Error(`Run All did not finish: prompts ${(await page.evaluate(prompts)).join(' ')} (${e.message.split('\n')[0]})`);
  });
  await until('the kernel to be idle after the run', () => kernelIdle(pathFromRoot), 60_000);
  // Save from the File menu, then wait until the file holds what the page shows: the same
  // execution count on every code cell ("[ ]" on the page is null in the file).
  const shownCounts = (await page.evaluate(prompts)).map((p) => p.match(/^\[(\d+)\]/)?.[1] ?? null).join(',');
  const savedCounts = () => savedNotebook(pathFromRoot)?.cells.filter((c) => c.cell_type === 'code').map((c) => c.execution_count ?? null).join(',') ?? 'not readable';
  const save = async () => {
    await page.locator('.lm-MenuBar-itemLabel', { hasText: /^File$/ }).click();
    await page.locator('.lm-Menu-itemLabel', { hasText: /^Save( Notebook)?$/ }).first().click();
  };
  await save();
  await until(`the saved notebook to match the page (page ${shownCounts})`, async () => savedCounts() === shownCounts, 60_000).catch(async (e: Error) => {
    // Say what the page showed instead (a dialog, say) and keep a picture of it.
    const dialog = await page.locator('.jp-Dialog').allTextContents();
    await page.screenshot({ path: join(shots, 'save-failed.png') });
    throw new Error(`${e.message}\nfile: ${savedCounts()}; dialogs: ${JSON.stringify(dialog)}; screenshot ${join(shots, 'save-failed.png')}\nserver log:\n${server.log().split('\n').slice(-40).join('\n')}`);
  });
  const drawn = await page.evaluate(drawnPlots);
  if (screenshot) {
    mkdirSync(join(screenshot, '..'), { recursive: true });
    const plot = page.locator('.jp-OutputArea-output div.js-plotly-plot svg.main-svg').first();
    await plot.scrollIntoViewIfNeeded();
    await plot.waitFor({ state: 'visible' });
    await page.screenshot({ path: screenshot });
  }
  const saved = savedNotebook(pathFromRoot)!;
  const shown = await page.evaluate(prompts);
  // The page's counts cover the whole notebook only if every cell is on the page (windowing off).
  assert.equal(shown.length, saved.cells.filter((c) => c.cell_type === 'code').length, 'code cells on the page vs in the notebook');
  return { saved, drawn, prompts: shown };
}

function copyNotebook(name: string): string {
  const to = join(work, 'notebooks', name);
  copyFileSync(join(ROOT, 'notebooks', name), to);
  return relative(work, to);
}

test('notebook 01 runs in Jupyter Notebook 7 from the Run menu: every cell runs, none fails, every figure draws', { timeout: 900_000 }, async () => {
  const path = copyNotebook('01-data.ipynb');
  const asked = figuresAsked(JSON.parse(readFileSync(join(work, path), 'utf8')));
  assert.ok(asked >= 3, `notebook 01 asks for ${asked} figures; the test expects its 3 or more`);
  const page = await browser.context.newPage();
  try {
    const started = Date.now();
    const run = await runAllInUi(page, path, 600_000, join(shots, '01-data.png'));
    console.log(`notebook 01 in the UI: ${run.prompts.length} code cells run (${run.prompts.join(' ')}), ${run.drawn} plots drawn of ${asked} asked, ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.deepEqual(liveRunProblems(run.saved, { asked, drawn: run.drawn }), [], `prompts: ${run.prompts.join(' ')}`);
    assert.deepEqual(browser.blocked, [], 'the notebook page asked for the network');
  } finally {
    await page.close();
  }
});

test('a notebook with a failing cell is caught: the error is named and the cells after it did not run', { timeout: 300_000 }, async () => {
  const nb = JSON.parse(readFileSync(join(ROOT, 'notebooks', '01-data.ipynb'), 'utf8')) as SavedNotebook & Record<string, unknown>;
  const first = nb.cells.findIndex((c) => c.cell_type === 'code');
  // The first code cell (the import) and a failing one after it; the rest of 01 is left out to keep this short.
  const failing = { cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source: 'throw new Error("deliberate failure for the live notebook test");' };
  const after = { cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source: 'console.log("after the failure");' };
  const path = join(work, 'notebooks', 'failing.ipynb');
  writeFileSync(path, JSON.stringify({ ...nb, cells: [nb.cells[first], failing, after] }));
  const page = await browser.context.newPage();
  try {
    const run = await runAllInUi(page, relative(work, path), 120_000);
    const problems = liveRunProblems(run.saved, { asked: 1, drawn: run.drawn });
    console.log(`checker on the failing copy:\n  ${problems.join('\n  ')}`);
    assert.ok(problems.some((p) => /^cell 2: .*deliberate failure for the live notebook test/.test(p)), problems.join('\n'));
    assert.ok(problems.includes('cell 3 did not run'), problems.join('\n'));
    assert.ok(problems.includes('0 plotly figures drew on the page; the notebook asks for 1'), problems.join('\n'));
  } finally {
    await page.close();
  }
});

test('the checker reads both ways tslab reports a failing cell, and passes a clean run', () => {
  const cell = (outputs: SavedNotebook['cells'][number]['outputs'], n: number | null = 1) => ({ cell_type: 'code', source: '', execution_count: n, outputs });
  const typeError = { output_type: 'stream', name: 'stderr', text: ["1:7 - Cannot find name 'undefinedThing'.\n"] };
  const warning = { output_type: 'stream', name: 'stderr', text: 'a warning on stderr is not a failure\n' };
  assert.deepEqual(liveRunProblems({ cells: [cell([typeError]), cell([], null)] }, { asked: 0, drawn: 0 }), ["cell 1: 1:7 - Cannot find name 'undefinedThing'.", 'cell 2 did not run']);
  assert.deepEqual(liveRunProblems({ cells: [cell([warning]), { cell_type: 'markdown', source: '# x' }] }, { asked: 1, drawn: 1 }), []);
});
