/**
 * Rich output in notebooks (tslab) with a plain-text fallback in scripts and the CLI. The one
 * module that touches tslab and plotly.js: plots render offline because plotly.js is inlined
 * into the notebook once, not loaded from a CDN.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Figure } from './figure.ts';

const require = createRequire(import.meta.url);

interface TslabDisplay {
  html(s: string): void;
  markdown(s: string): void;
  text(s: string): void;
}
interface Tslab {
  display: TslabDisplay;
  newDisplay(): TslabDisplay;
}

let tslab: Tslab | null | undefined;
let plotlyInlined = false;

/** tslab's display API when running inside a tslab kernel, else null. */
function kernel(): Tslab | null {
  if (tslab !== undefined) return tslab;
  tslab = null;
  // Only a tslab kernel process has this module loaded already; loading it elsewhere would pull
  // in a TypeScript compiler for nothing.
  const loaded = Object.keys(require.cache).some((k) => /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(k));
  if (loaded) tslab = require('tslab') as Tslab;
  return tslab;
}

/** True inside a tslab notebook kernel. */
export function inNotebook(): boolean {
  return kernel() !== null;
}

function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function plotlyScriptTag(): string {
  const src = readFileSync(require.resolve('plotly.js-dist-min/plotly.min.js'), 'utf8');
  return `<script type="text/javascript">${src.replace(/<\/script/gi, '<\\/script')}</script>`;
}

/** The HTML for one figure: a div and the Plotly.newPlot call that fills it. */
export function figureHtml(fig: Figure, id = `caplab-${randomBytes(6).toString('hex')}`): string {
  const config = { responsive: true, displaylogo: false, ...fig.config };
  return (
    `<div id="${id}" style="width:100%;min-height:${Number((fig.layout?.height as number) ?? 380)}px"></div>` +
    `<script type="text/javascript">(function(){var d=${scriptSafeJson(fig.data)},l=${scriptSafeJson(fig.layout ?? {})},c=${scriptSafeJson(config)};` +
    `var n=0;function draw(){if(window.Plotly){window.Plotly.react("${id}",d,l,c);}else if(++n<100){setTimeout(draw,50);}` +
    // After clearing all outputs in a live notebook the page no longer has plotly.js: say how to get it back.
    `else{document.getElementById("${id}").textContent="plotly.js is not loaded on this page: run caplab.loadPlotly() in a cell, then this cell again.";}}draw();})();</script>`
  );
}

function ensurePlotly(k: Tslab): void {
  if (plotlyInlined) return;
  k.display.html(plotlyScriptTag());
  plotlyInlined = true;
}

/**
 * Sends plotly.js to the notebook page again. Figures load it once per kernel; call this after
 * clearing every output of a live notebook (which removes it from the page).
 */
export function loadPlotly(): void {
  const k = kernel();
  if (!k) return;
  plotlyInlined = false;
  ensurePlotly(k);
}

function describeFigure(fig: Figure): string {
  const title = (fig.layout?.title as { text?: string } | string | undefined) ?? 'figure';
  const text = typeof title === 'string' ? title : title.text ?? 'figure';
  const traces = fig.data.map((t) => String(t.name ?? t.type ?? 'trace')).join(', ');
  return `[plot] ${text} (${fig.data.length} traces: ${traces})`;
}

/** Draws a figure inline in a notebook; elsewhere prints a one-line description. */
export function showFigure(fig: Figure): void {
  const k = kernel();
  if (!k) {
    console.log(describeFigure(fig));
    return;
  }
  ensurePlotly(k);
  k.display.html(figureHtml(fig));
}

/**
 * A figure that redraws in place as work goes on (e.g. a live loss line while training). Call
 * `update(fig)` as often as you like; outside a notebook it prints nothing until `done()`.
 */
export function liveFigure(): { update(fig: Figure): void; done(fig?: Figure): void } {
  const k = kernel();
  if (!k) {
    let last: Figure | undefined;
    return { update: (fig) => void (last = fig), done: (fig) => { const f = fig ?? last; if (f) console.log(describeFigure(f)); } };
  }
  ensurePlotly(k);
  const d = k.newDisplay();
  const id = `caplab-live-${randomBytes(6).toString('hex')}`;
  return {
    update: (fig) => d.html(figureHtml(fig, id)),
    done: (fig) => { if (fig) d.html(figureHtml(fig, id)); },
  };
}

/** A live line of text (status) that rewrites itself in a notebook and prints on a terminal. */
export function liveStatus(): { update(text: string): void } {
  const k = kernel();
  if (!k) return { update: (text) => console.error(text) };
  const d = k.newDisplay();
  return { update: (text) => d.html(`<pre style="margin:0">${escapeHtml(text)}</pre>`) };
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Shows rows of plain objects as a table (HTML in a notebook, console.table elsewhere). */
export function showTable(rows: Array<Record<string, unknown>>, options: { caption?: string; digits?: number } = {}): void {
  const k = kernel();
  if (!k) {
    if (options.caption) console.log(options.caption);
    console.table(rows);
    return;
  }
  k.display.html(tableHtml(rows, options));
}

export function tableHtml(rows: Array<Record<string, unknown>>, options: { caption?: string; digits?: number } = {}): string {
  const digits = options.digits ?? 4;
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) => {
    if (typeof v === 'number') return Number.isInteger(v) ? v.toLocaleString('en-US') : Number(v.toPrecision(digits)).toString();
    if (v === null || v === undefined) return '';
    return escapeHtml(typeof v === 'object' ? JSON.stringify(v) : String(v));
  };
  const head = cols.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = rows.map((r) => `<tr>${cols.map((c) => `<td>${cell(r[c])}</td>`).join('')}</tr>`).join('');
  const caption = options.caption ? `<caption style="caption-side:top;text-align:left;font-weight:600">${escapeHtml(options.caption)}</caption>` : '';
  return `<table class="caplab-table">${caption}<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** Markdown in a notebook, plain text elsewhere. */
export function showMarkdown(md: string): void {
  const k = kernel();
  if (!k) console.log(md);
  else k.display.markdown(md);
}
