// `npm run demo`: every notebook, executed headless on the local default, rendered to a
// self-contained page and a reveal.js deck, plus an index page linking them all.
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ROOT, setup } from './jupyter.ts';
import { buildDist, listNotebooks, runNotebook } from './notebooks.ts';
import { indexHtml, runInfo, type IndexEntry } from './render.ts';
import { demoCluster, type DemoCluster } from './demo-cluster.ts';

const preset = process.env.CAPLAB_PRESET ?? 'quick';
const outDir = join(ROOT, 'build', 'notebooks');
setup({ quiet: true });
console.log(`caplab demo: preset "${preset}" (set CAPLAB_PRESET=tiny|quick|full), output in ${outDir}`);
await buildDist();
let cluster: DemoCluster;
try {
  cluster = await demoCluster();
} catch (e) {
  cluster = { env: {}, line: `no cluster: the local control plane did not start (${(e as Error).message.split('\n')[0]}); see npm run cluster:local -- status`, stop: async () => {} };
}
console.log(cluster.line);
const notebooks = listNotebooks();
const entries: IndexEntry[] = [];
let failed = 0;
for (const [i, nb] of notebooks.entries()) {
  const name = basename(nb, '.ipynb');
  process.stdout.write(`[${i + 1}/${notebooks.length}] ${name} … `);
  const r = await runNotebook(nb, { outDir, preset, env: cluster.env });
  entries.push({
    name,
    title: r.title,
    page: r.html && basename(r.html),
    deck: r.slides && basename(r.slides),
    errors: r.errors,
    ...(r.html ? {} : { failure: 'did not run to the end (see the demo output)' }),
    seconds: r.seconds,
  });
  if (r.ok) console.log(`done in ${r.seconds.toFixed(1)} s → ${r.html}, ${r.slides}`);
  else {
    failed++;
    console.log(`FAILED after ${r.seconds.toFixed(1)} s`);
    for (const e of r.errors) console.error(`  cell ${e.cell}: ${e.ename}: ${e.evalue}`);
    if (!r.errors.length) console.error(r.log.split('\n').slice(-40).join('\n'));
  }
}
await cluster.stop();
const index = join(outDir, 'index.html');
writeFileSync(index, indexHtml(entries, runInfo(preset, { ...process.env, ...cluster.env })));
console.log(failed ? `${failed} notebook(s) failed (marked in red on their pages): ${index}` : `All ${notebooks.length} notebooks rendered, as pages and slides. Open ${index} in a browser.`);
process.exit(failed ? 1 : 0);
