/**
 * Rendered pages and decks, checked in a real browser: Debian's chromium driven by playwright-core,
 * a fresh profile, every request that is not a local file or loopback blocked and recorded. A
 * page passes when it loads, draws its plotly plots (an svg in each plot div) and logs no error;
 * a deck also has to move forward with the keyboard, and every slide's plots have to draw there.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

// Functions handed to page.evaluate run in the page; these are the few browser globals they use
// (declared here, in this module only, so the project's Node typecheck stays free of the DOM).
interface PageElement {
  querySelector(selector: string): PageElement | null;
  closest(selector: string): { classList: { contains(name: string): boolean } } | null;
  getBoundingClientRect(): { width: number };
}
interface RevealApi {
  isReady(): boolean;
  getTotalSlides(): number;
  getIndices(): { h: number; v: number };
}
declare const document: { querySelectorAll(selector: string): Iterable<PageElement> & { length: number } };
declare const window: { Reveal?: RevealApi };

export const CHROMIUM = process.env.CAPLAB_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  /** Requests that were blocked (neither a local file nor loopback), across every page. */
  blocked: string[];
  close(): Promise<void>;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function allowed(url: string): boolean {
  const u = new URL(url);
  if (['file:', 'data:', 'blob:', 'about:'].includes(u.protocol)) return true;
  return (u.protocol === 'http:' || u.protocol === 'https:' || u.protocol === 'ws:') && LOOPBACK.has(u.hostname);
}

/** Starts chromium with a fresh profile and the network cut off (loopback aside). */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`No chromium at ${CHROMIUM}. Install Debian's: apt-get install -y chromium (or set CAPLAB_CHROMIUM).`);
  }
  const profile = await mkdtemp(join(tmpdir(), 'caplab-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 900 },
  });
  const blocked: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (allowed(url)) return route.continue();
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
  return {
    context,
    blocked,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export interface PageCheck {
  file: string;
  /** Plot divs on the page, and how many of them hold plotly's svg. */
  plots: number;
  drawn: number;
  consoleErrors: string[];
  blocked: string[];
  screenshot?: string;
}

function watch(page: Page, browser: Browser): { errors: string[]; blocked: () => string[] } {
  const errors: string[] = [];
  const before = browser.blocked.length;
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  return { errors, blocked: () => browser.blocked.slice(before) };
}

const countPlots = () => {
  const plots = [...document.querySelectorAll('div.js-plotly-plot')];
  return { plots: plots.length, drawn: plots.filter((p) => p.querySelector('svg.main-svg')).length };
};

/**
 * Opens a page and waits until at least `expectPlots` plotly plots have drawn (or `timeoutMs`
 * passes: the check then reports how many did). Never throws for what it finds.
 */
export async function checkPage(browser: Browser, file: string, options: { expectPlots: number; screenshot?: string; timeoutMs?: number }): Promise<PageCheck> {
  const page = await browser.context.newPage();
  const seen = watch(page, browser);
  try {
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    await page
      .waitForFunction(
        (n) => [...document.querySelectorAll('div.js-plotly-plot')].filter((p) => p.querySelector('svg.main-svg')).length >= n,
        options.expectPlots,
        { timeout: options.timeoutMs ?? 30_000 },
      )
      .catch(() => undefined);
    const counts = await page.evaluate(countPlots);
    if (options.screenshot) {
      mkdirSync(join(options.screenshot, '..'), { recursive: true });
      await page.screenshot({ path: options.screenshot, fullPage: false });
    }
    return { file, ...counts, consoleErrors: seen.errors, blocked: seen.blocked(), ...(options.screenshot ? { screenshot: options.screenshot } : {}) };
  } finally {
    await page.close();
  }
}

export interface DeckCheck {
  file: string;
  /** Slides reached by pressing Space from the first, and the total reveal.js reports. */
  visited: number;
  total: number;
  /** Plots on the deck, and those that had drawn (svg, non-zero width) when their slide was shown. */
  plots: number;
  drawnOnTheirSlide: number;
  consoleErrors: string[];
  blocked: string[];
  screenshot?: string;
}

/** Opens a deck, walks every slide with the keyboard, and checks each slide's plots there. */
export async function checkDeck(browser: Browser, file: string, options: { screenshot?: string; timeoutMs?: number } = {}): Promise<DeckCheck> {
  const page = await browser.context.newPage();
  const seen = watch(page, browser);
  const timeout = options.timeoutMs ?? 30_000;
  try {
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    await page.waitForFunction(() => window.Reveal?.isReady?.() === true, undefined, { timeout });
    const total = await page.evaluate(() => window.Reveal!.getTotalSlides());
    const plots = await page.evaluate(() => document.querySelectorAll('div.js-plotly-plot').length);
    let visited = 1;
    const drawn = new Set<number>();
    // Plots whose own (innermost) slide is the one showing, and that have a visible svg there.
    const drawnHere = () =>
      [...document.querySelectorAll('div.js-plotly-plot')].flatMap((p, i) => {
        const svg = p.querySelector('svg.main-svg');
        const shown = p.closest('section')?.classList.contains('present') ?? false;
        return shown && svg !== null && svg.getBoundingClientRect().width > 0 ? [i] : [];
      });
    for (let i = 0; i < total + 2; i++) {
      for (const k of await page.evaluate(drawnHere)) drawn.add(k);
      if (i === 0 && options.screenshot) await shoot(page, options.screenshot);
      const before = await page.evaluate(() => window.Reveal!.getIndices());
      // Space is reveal.js's "next": down through a stack of sub-slides, then right.
      await page.keyboard.press('Space');
      const moved = await page
        .waitForFunction(
          (b) => {
            const now = window.Reveal!.getIndices();
            return now.h !== b.h || now.v !== b.v;
          },
          before,
          { timeout: 2_000 },
        )
        .then(() => true, () => false);
      if (!moved) break;
      visited++;
    }
    return { file, visited, total, plots, drawnOnTheirSlide: drawn.size, consoleErrors: seen.errors, blocked: seen.blocked(), ...(options.screenshot ? { screenshot: options.screenshot } : {}) };
  } finally {
    await page.close();
  }
}

async function shoot(page: Page, path: string): Promise<void> {
  mkdirSync(join(path, '..'), { recursive: true });
  await page.screenshot({ path });
}

/** How many plotly figures an executed notebook made: outputs that call Plotly.react. */
export function figuresInNotebook(executedIpynb: string): number {
  const nb = JSON.parse(readFileSync(executedIpynb, 'utf8')) as { cells: Array<{ outputs?: Array<{ data?: Record<string, unknown> }> }> };
  let n = 0;
  for (const c of nb.cells) {
    for (const o of c.outputs ?? []) {
      const html = o.data?.['text/html'];
      const text = Array.isArray(html) ? html.join('') : typeof html === 'string' ? html : '';
      if (text.includes('window.Plotly.react(')) n++;
    }
  }
  return n;
}
