/**
 * What a rendered notebook carries beyond nbconvert's output: a line saying when and where it
 * ran, a red banner (and a marker on the cell) when a cell failed, reveal.js slides that work
 * offline (reveal.js inlined from npm), and the index page linking every page and deck.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, homedir, hostname, totalmem } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

/** When and where a notebook ran, for the line at the top of its page. */
export interface RunInfo {
  at: string;
  preset: string;
  host: string;
  cores: number;
  memoryBytes: number;
  /** "none (no kubeconfig): …", or the kubeconfig context and what kind of cluster it is. */
  cluster: string;
}

/** The kubeconfig's current context, without talking to the cluster. */
function currentContext(env: NodeJS.ProcessEnv): string | null {
  const file = (env.KUBECONFIG ?? join(homedir(), '.kube', 'config')).split(':')[0];
  if (!file || !existsSync(file)) return null;
  const m = /^current-context:\s*["']?([^"'\s]+)/m.exec(readFileSync(file, 'utf8'));
  return m ? m[1] : null;
}

/** Labels a context the way the comparison does (lib/report/compare-place.ts). */
function clusterLine(context: string | null): string {
  if (!context) return 'none (no kubeconfig): the cloud notebooks show what they would apply, and measure nothing on a cluster';
  if (context.startsWith('caplab-local')) return `kubeconfig context ${context}: a real Kubernetes control plane with process nodes on this machine, not cloud hardware`;
  return `kubeconfig context ${context} (the cloud notebooks ran there if it answered; see their first cell)`;
}

export function runInfo(preset: string, env: NodeJS.ProcessEnv = process.env): RunInfo {
  return { at: new Date().toISOString(), preset, host: hostname(), cores: cpus().length, memoryBytes: totalmem(), cluster: clusterLine(currentContext(env)) };
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A failed cell of an executed notebook. */
export interface CellError {
  /** 1-based position among all cells. */
  cell: number;
  ename: string;
  evalue: string;
}

interface NotebookJson {
  cells: Array<{ cell_type: string; metadata?: Record<string, unknown>; outputs?: Array<Record<string, unknown>>; source: string | string[] }>;
  [k: string]: unknown;
}

/** The cells whose outputs hold an error. */
export function notebookErrors(nb: NotebookJson): CellError[] {
  const found: CellError[] = [];
  nb.cells.forEach((c, i) => {
    for (const o of c.outputs ?? []) {
      if (o.output_type === 'error') found.push({ cell: i + 1, ename: String(o.ename ?? 'Error'), evalue: String(o.evalue ?? '') });
    }
  });
  return found;
}

/**
 * Slide types for cells that do not set `metadata.slideshow.slide_type` themselves: a Markdown
 * cell with a heading starts a slide, other Markdown becomes speaker notes, the first code cell
 * after a heading shares its slide and later ones get a sub-slide each.
 */
export function defaultSlideType(cells: NotebookJson['cells'], i: number): string {
  const text = (c: NotebookJson['cells'][number]) => (Array.isArray(c.source) ? c.source.join('') : c.source);
  const c = cells[i];
  if (c.cell_type === 'markdown') return /^\s*#{1,3} /.test(text(c)) ? 'slide' : 'notes';
  const prev = cells.slice(0, i).reverse().find((p) => ((p.metadata?.slideshow as { slide_type?: string } | undefined)?.slide_type ?? '') !== 'notes' && !(p.cell_type === 'markdown' && !/^\s*#{1,3} /.test(text(p))));
  return prev && prev.cell_type === 'code' ? 'subslide' : '-';
}

/**
 * The notebook as it is rendered: each failed cell gets a red marker output before its error,
 * and cells without a slide type get the default one.
 */
export function prepareForRender(nb: NotebookJson): NotebookJson {
  const out = structuredClone(nb);
  // The page's <title> (nbconvert takes it from here, else from the render copy's file name).
  out.metadata = { ...(out.metadata as Record<string, unknown>), title: notebookTitle(nb, 'caplab notebook') };
  out.cells.forEach((c, i) => {
    const err = (c.outputs ?? []).find((o) => o.output_type === 'error');
    if (err) {
      const html = `<div class="caplab-cell-failed" id="caplab-failed-${i + 1}">✖ This cell failed: ${escapeHtml(String(err.ename))}: ${escapeHtml(String(err.evalue))}</div>`;
      c.outputs!.unshift({ output_type: 'display_data', metadata: {}, data: { 'text/html': html } });
    }
  });
  const types = out.cells.map((c, i) => (c.metadata?.slideshow as { slide_type?: string } | undefined)?.slide_type ?? defaultSlideType(out.cells, i));
  out.cells.forEach((c, i) => {
    c.metadata = { ...c.metadata, slideshow: { slide_type: types[i] } };
  });
  return out;
}

const BANNER_CSS = `<style>
#caplab-run-info{font:13px/1.4 system-ui,sans-serif;background:#eef3f8;border-bottom:1px solid #c9d6e3;padding:6px 12px;color:#223}
#caplab-failed{font:15px/1.4 system-ui,sans-serif;background:#d62728;color:#fff;padding:10px 14px;position:sticky;top:0;z-index:1000}
#caplab-failed a{color:#fff;text-decoration:underline}
.caplab-cell-failed{font:600 15px/1.4 system-ui,sans-serif;background:#d62728;color:#fff;padding:8px 12px;border-radius:4px}
</style>`;

/** The lines at the top of a page: where and when it ran, and (in red) every cell that failed. */
export function bannerHtml(info: RunInfo, errors: CellError[]): string {
  const gib = (info.memoryBytes / 1024 ** 3).toFixed(1);
  const run = `<div id="caplab-run-info">Ran ${escapeHtml(info.at.replace('T', ' ').slice(0, 19))} UTC · preset <b>${escapeHtml(info.preset)}</b> · machine ${escapeHtml(info.host)} (${info.cores} cores, ${gib} GiB) · cluster: ${escapeHtml(info.cluster)}</div>`;
  const failed = errors.length
    ? `<div id="caplab-failed" role="alert">✖ ${errors.length} cell${errors.length === 1 ? '' : 's'} failed: ${errors
        .map((e) => `<a href="#caplab-failed-${e.cell}">cell ${e.cell}: ${escapeHtml(e.ename)}: ${escapeHtml(e.evalue.slice(0, 160))}</a>`)
        .join(' · ')}. Everything after a failed cell may be missing or wrong.</div>`
    : '';
  return BANNER_CSS + failed + run;
}

/** Puts HTML right after the opening <body> tag. */
export function afterBodyOpen(html: string, insert: string): string {
  return html.replace(/<body\b[^>]*>/i, (m) => m + insert);
}

function inlineScript(path: string): string {
  return `<script>${readFileSync(path, 'utf8').replace(/<\/script/gi, '<\\/script')}</script>`;
}

function inlineStyle(path: string): string {
  return `<style>${readFileSync(path, 'utf8')}</style>`;
}

/** The placeholder the deck template (scripts/templates/caplab-reveal) leaves for the scripts. */
export const REVEAL_SCRIPTS_MARK = '<!--CAPLAB-REVEAL-JS-->';
/** The reveal.js prefix the deck is rendered with; its links are replaced by inlined files. */
export const REVEAL_PREFIX = 'caplab-reveal';
// 'white' embeds its fonts; 'simple' and others @import them from a font CDN.
export const REVEAL_THEME = 'white';

const DECK_INIT = `<script>
(function(){
  function resizePlots(){
    if(!window.Plotly) return;
    document.querySelectorAll('.reveal section.present .js-plotly-plot').forEach(function(d){ window.Plotly.Plots.resize(d); });
  }
  Reveal.initialize({ controls: true, progress: true, hash: true, center: false, transition: 'none', slideNumber: 'c/t', width: 1280, height: 860, margin: 0.03, plugins: [RevealNotes] });
  // Plots on slides not shown yet were drawn at a guessed size: fit them when their slide shows.
  Reveal.on('ready', resizePlots);
  Reveal.on('slidechanged', resizePlots);
})();
</script>
<style>
.reveal .slides section{height:100%;overflow-y:auto;text-align:left}
.reveal .slides section .jp-Cell{font-size:18px}
#caplab-run-info{position:fixed;bottom:0;left:0;right:0;z-index:30;font-size:11px}
</style>`;

/** Replaces the deck's reveal.js links and script placeholder with reveal.js itself, inlined. */
export function inlineReveal(html: string): string {
  const css = require.resolve('reveal.js/reveal.css');
  const theme = require.resolve(`reveal.js/theme/${REVEAL_THEME}.css`);
  const js = require.resolve('reveal.js');
  const notes = require.resolve('reveal.js/plugin/notes');
  const link = (href: string) => new RegExp(`<link\\b[^>]*href="${href.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}"[^>]*>`, 'i');
  let out = html.replace(link(`${REVEAL_PREFIX}/dist/reveal.css`), () => inlineStyle(css));
  out = out.replace(link(`${REVEAL_PREFIX}/dist/theme/${REVEAL_THEME}.css`), () => inlineStyle(theme));
  if (!out.includes(REVEAL_SCRIPTS_MARK)) throw new Error('the deck has no reveal.js script placeholder: was it rendered with scripts/templates/caplab-reveal?');
  return out.replace(REVEAL_SCRIPTS_MARK, () => inlineScript(js) + inlineScript(notes) + DECK_INIT);
}

/** One notebook's entry on the index page. */
export interface IndexEntry {
  name: string;
  title: string;
  page: string | null;
  deck: string | null;
  errors: CellError[];
  /** Why there is no page, when the run did not get that far. */
  failure?: string;
  seconds: number;
}

/** The index page: every notebook with its page, its deck and whether it ran cleanly. */
export function indexHtml(entries: IndexEntry[], info: RunInfo): string {
  const rows = entries
    .map((e) => {
      const state = e.failure ? `<span class="bad">failed: ${escapeHtml(e.failure)}</span>` : e.errors.length ? `<span class="bad">${e.errors.length} cell(s) failed</span>` : '<span class="ok">ran cleanly</span>';
      const page = e.page ? `<a href="${escapeHtml(e.page)}">page</a>` : '–';
      const deck = e.deck ? `<a href="${escapeHtml(e.deck)}">slides</a>` : '–';
      return `<tr><td>${escapeHtml(e.name)}</td><td>${escapeHtml(e.title)}</td><td>${page}</td><td>${deck}</td><td>${state}</td><td>${e.seconds.toFixed(1)} s</td></tr>`;
    })
    .join('\n');
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>caplab notebooks</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:0}main{padding:16px 24px}table{border-collapse:collapse}td,th{padding:4px 12px;border-bottom:1px solid #ddd;text-align:left}.bad{color:#d62728;font-weight:600}.ok{color:#2ca02c}</style>
</head><body>${bannerHtml(info, [])}<main>
<h1>caplab: rendered notebooks</h1>
<p>Each notebook as a page and as reveal.js slides (arrow keys to move, <kbd>s</kbd> for speaker notes). Everything is in these files: they open offline.</p>
<table><thead><tr><th>notebook</th><th>title</th><th>page</th><th>slides</th><th>run</th><th>time</th></tr></thead><tbody>
${rows}
</tbody></table></main></body></html>
`;
}

/** A notebook's title: its first Markdown heading. */
export function notebookTitle(nb: NotebookJson, fallback: string): string {
  for (const c of nb.cells) {
    if (c.cell_type !== 'markdown') continue;
    const m = /^#\s+(.+)$/m.exec(Array.isArray(c.source) ? c.source.join('') : c.source);
    if (m) return m[1].trim();
  }
  return fallback;
}
