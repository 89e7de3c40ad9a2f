/**
 * Executes notebooks headless with the project's tslab kernel and renders them to
 * self-contained HTML (no network, no files of this machine).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, readdirSync, renameSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ROOT, jupyterEnv, setup } from './jupyter.ts';

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
}

export interface NotebookRun {
  notebook: string;
  ok: boolean;
  seconds: number;
  executed: string;
  html: string | null;
  log: string;
}

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

/** Executes one notebook and renders it; never throws for a failing cell (see `ok` and `log`). */
export async function runNotebook(path: string, options: RunNotebookOptions): Promise<NotebookRun> {
  const { python } = setup({ quiet: true });
  mkdirSync(options.outDir, { recursive: true });
  const name = basename(path, '.ipynb');
  const env = jupyterEnv({
    CAPLAB_PRESET: options.preset ?? process.env.CAPLAB_PRESET ?? 'quick',
    ...options.env,
  });
  const started = Date.now();
  const executed = join(options.outDir, `${name}.ipynb`);
  const exec = await run(
    python,
    [
      '-m', 'nbconvert', '--to', 'notebook', '--execute',
      `--ExecutePreprocessor.timeout=${options.cellTimeout ?? 1800}`,
      '--ExecutePreprocessor.kernel_name=caplab-tslab',
      '--output-dir', options.outDir, '--output', `${name}.ipynb`,
      path,
    ],
    env,
    options.verbose ?? false,
  );
  const seconds = (Date.now() - started) / 1000;
  if (exec.code !== 0) return { notebook: path, ok: false, seconds, executed, html: null, log: exec.log };
  const render = await run(python, ['-m', 'nbconvert', '--to', 'html', '--output-dir', options.outDir, executed], env, false);
  if (render.code !== 0) return { notebook: path, ok: false, seconds, executed, html: null, log: exec.log + render.log };
  const htmlPath = join(options.outDir, `${name}.html`);
  const tmp = `${htmlPath}.tmp`;
  writeFileSync(tmp, makeSelfContained(readFileSync(htmlPath, 'utf8')));
  renameSync(tmp, htmlPath);
  return { notebook: path, ok: true, seconds, executed, html: htmlPath, log: exec.log };
}

/** Runs the TypeScript build the notebooks import (dist/). */
export async function buildDist(): Promise<void> {
  const r = await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.json')], process.env, false);
  if (r.code !== 0) throw new Error(`TypeScript build failed:\n${r.log}`);
}
