import { test } from 'node:test';
import assert from 'node:assert/strict';
import { figure, figureHtml, tableHtml, showFigure, inNotebook } from '../lib/report/index.ts';

test('a figure renders as a div and a Plotly.react call that text in the data cannot break out of', () => {
  const fig = figure([{ type: 'bar', x: ['</script><script>alert(1)</script>'], y: [1], name: 'x' }], { title: { text: 'T' } });
  const html = figureHtml(fig, 'fig-1');
  assert.match(html, /<div id="fig-1"/);
  assert.match(html, /Plotly\.react\("fig-1"/);
  assert.equal(html.match(/<\/script>/g)?.length, 1, 'only the closing tag of our own script');
  assert.match(html, /caplab\.loadPlotly\(\)/, 'says how to recover when plotly.js is gone from the page');
});

test('tables escape their cells and round floats but not integers', () => {
  const html = tableHtml([{ name: '<b>x</b>', rows: 1234567, mse: 0.123456789 }], { caption: 'c & d', digits: 3 });
  assert.match(html, /&lt;b&gt;x&lt;\/b&gt;/);
  assert.match(html, /1,234,567/);
  assert.match(html, /<td>0\.123<\/td>/);
  assert.match(html, /c &amp; d/);
});

test('outside a notebook a figure prints a one-line description instead of HTML', () => {
  assert.equal(inNotebook(), false);
  const lines: string[] = [];
  const log = console.log;
  console.log = (s: string) => void lines.push(s);
  try {
    showFigure(figure([{ type: 'scatter', name: 'loss' }, { type: 'scatter', name: 'val' }], { title: { text: 'Losses' } }));
  } finally {
    console.log = log;
  }
  assert.deepEqual(lines, ['[plot] Losses (2 traces: loss, val)']);
});
