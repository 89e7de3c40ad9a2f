/**
 * Executes notebooks headless with the project's tslab kernel and renders them to
 * self-contained HTML (no network, no files of this machine).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, readdirSync, renameSync } from 'node:fs';
import { basename, join } from 'node:path';
import { rmSync } from 'node:fs';
import { ROOT, jupyterEnv, setup } from './jupyter.ts';
import { afterBodyOpen, bannerHtml, inlineReveal, notebookErrors, notebookTitle, prepareForRender, REVEAL_PREFIX, REVEAL_THEME, runInfo, type CellError } from './render.ts';

export const NOTEBOOK_DIR = join(ROOT, 'notebooks');

export function listNotebooks(): string[] {
  return readdirSync(NOTEBOOK_DIR)
    .filter((f) => /^\d\d-.*\.ipynb$/.test(f))
    .sort()
    .map((f) => join(NOTEBOOK_DIR, f));
}

export interface RunNotebookOptions {
  /** Where the executed .ipynb and the .html go. */
  outDir: string;
  /** CAPLAB_PRESET for the kernel. Default: the caller's environment, else `quick`. */
  preset?: string;
  /** Extra environment for the kernel (e.g. KUBECONFIG, CAPLAB_DATA_ROOT). */
  env?: Record<string, string>;
  /** Per-cell timeout in seconds. Default 1800. */
  cellTimeout?: number;
  /** Echo Jupyter's output. Default false: it is returned in `log` instead. */
  verbose?: boolean;
  /** Also render reveal.js slides (`<name>.slides.html`). Default true. */
  slides?: boolean;
}

export interface NotebookRun {
  notebook: string;
  /** Every cell ran without an error, and the page (and deck) rendered. */
  ok: boolean;
  seconds: number;
  executed: string;
  html: string | null;
  /** The reveal.js deck, when rendered. */
  slides: string | null;
  /** Cells that failed (they are rendered, marked in red, with a banner on top). */
  errors: CellError[];
  /** The notebook's first heading. */
  title: string;
  log: string;
}

/** The folder under scripts/ holding the deck template (reveal.js inlined, no CDN, no require.js). */
const TEMPLATES = join(ROOT, 'scripts', 'templates');

function run(python: string, args: string[], env: NodeJS.ProcessEnv, verbose: boolean): Promise<{ code: number; log: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const take = (b: Buffer) => {
      log += b.toString();
      if (verbose) process.stderr.write(b);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, log }));
  });
}

/**
 * nbconvert's HTML links require.js and MathJax from files of this machine (Debian) or a CDN.
 * caplab's outputs need neither (plotly.js is inlined by lib/report/display.ts), so drop every
 * script or stylesheet that would load from outside the page.
 */
export function makeSelfContained(html: string): string {
  return html
    .replace(/<script\b[^>]*\bsrc=["'](?:file:|https?:|\/\/)[^"']*["'][^>]*>\s*<\/script>/gi, '')
    .replace(/<link\b[^>]*\bhref=["'](?:file:|https?:|\/\/)[^"']*["'][^>]*>/gi, '')
    .replace(/<script type="text\/x-mathjax-config">[\s\S]*?<\/script>/gi, '');
}

/** Tags in a page that would fetch from the network or the local disk when opened. */
export function externalLoads(html: string): string[] {
  const found: string[] = [];
  const re = /<(script|link|img|iframe)\b[^>]*\b(?:src|href)=["']((?:file:|https?:|\/\/)[^"']*)["']/gi;
  for (const m of html.matchAll(re)) found.push(`${m[1]} ${m[2]}`);
  return found;
}

/**
 * Executes one notebook and renders it to a page and a deck; never throws for a failing cell:
 * the cells after it still run, the failure is marked in red on the page, and `ok` is false.
 */
export async function runNotebook(path: string, options: RunNotebookOptions): Promise<NotebookRun> {
  const { python } = setup({ quiet: true });
  mkdirSync(options.outDir, { recursive: true });
  const name = basename(path, '.ipynb');
  const preset = options.preset ?? process.env.CAPLAB_PRESET ?? 'quick';
  const env = jupyterEnv({ CAPLAB_PRESET: preset, ...options.env });
  const started = Date.now();
  const executed = join(options.outDir, `${name}.ipynb`);
  rmSync(executed, { force: true });
  const exec = await run(
    python,
    // nbclient with every failed cell recorded as an error output; the cells after it still run.
    [join(ROOT, 'scripts', 'execute.py'), path, executed, String(options.cellTimeout ?? 1800), 'caplab-tslab'],
    env,
    options.verbose ?? false,
  );
  const seconds = (Date.now() - started) / 1000;
  const failed = (log: string): NotebookRun => ({ notebook: path, ok: false, seconds, executed, html: null, slides: null, errors: [], title: name, log });
  // A run that stopped early (timeout, dead kernel) still wrote what ran: render it with the failure marked.
  if (!existsSync(executed)) return failed(exec.log);
  const nb = JSON.parse(readFileSync(executed, 'utf8'));
  const errors = notebookErrors(nb);
  const title = notebookTitle(nb, name);
  const banner = bannerHtml(runInfo(preset, env), errors);
  // Render from a copy with failure markers and slide types, so the executed notebook stays as it ran.
  const renderCopy = join(options.outDir, `.${name}.render.ipynb`);
  writeFileSync(renderCopy, JSON.stringify(prepareForRender(nb)));
  try {
    const render = await run(python, ['-m', 'nbconvert', '--to', 'html', '--output-dir', options.outDir, '--output', name, renderCopy], env, false);
    if (render.code !== 0) return failed(exec.log + render.log);
    const htmlPath = join(options.outDir, `${name}.html`);
    writeAtomic(htmlPath, afterBodyOpen(makeSelfContained(readFileSync(htmlPath, 'utf8')), banner));
    let slides: string | null = null;
    if (options.slides ?? true) {
      const deck = await run(
        python,
        [
          '-m', 'nbconvert', '--to', 'slides', '--no-input',
          `--TemplateExporter.extra_template_basedirs=${TEMPLATES}`, '--template', 'caplab-reveal',
          `--SlidesExporter.reveal_url_prefix=${REVEAL_PREFIX}`, `--SlidesExporter.reveal_theme=${REVEAL_THEME}`,
          '--output-dir', options.outDir, '--output', name, renderCopy,
        ],
        env,
        false,
      );
      if (deck.code !== 0) return failed(exec.log + deck.log);
      slides = join(options.outDir, `${name}.slides.html`);
      writeAtomic(slides, afterBodyOpen(makeSelfContained(inlineReveal(readFileSync(slides, 'utf8'))), banner));
    }
    return { notebook: path, ok: exec.code === 0 && errors.length === 0, seconds, executed, html: htmlPath, slides, errors, title, log: exec.log };
  } finally {
    rmSync(renderCopy, { force: true });
  }
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Runs the TypeScript build the notebooks import (dist/). */
export async function buildDist(): Promise<void> {
  const r = await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.json')], process.env, false);
  if (r.code !== 0) throw new Error(`TypeScript build failed:\n${r.log}`);
}
