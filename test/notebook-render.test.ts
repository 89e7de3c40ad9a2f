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
