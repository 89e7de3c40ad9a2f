// `npm run demo`: every notebook, executed headless on the local default, rendered to HTML.
import { join } from 'node:path';
import { ROOT, setup } from './jupyter.ts';
import { buildDist, listNotebooks, runNotebook } from './notebooks.ts';

const preset = process.env.CAPLAB_PRESET ?? 'quick';
const outDir = join(ROOT, 'build', 'notebooks');
setup({ quiet: true });
console.log(`caplab demo: preset "${preset}" (set CAPLAB_PRESET=tiny|quick|full), output in ${outDir}`);
await buildDist();
const notebooks = listNotebooks();
let failed = 0;
for (const [i, nb] of notebooks.entries()) {
  const name = nb.split('/').pop();
  process.stdout.write(`[${i + 1}/${notebooks.length}] ${name} … `);
  const r = await runNotebook(nb, { outDir, preset });
  if (r.ok) console.log(`done in ${r.seconds.toFixed(1)} s → ${r.html}`);
  else {
    failed++;
    console.log(`FAILED after ${r.seconds.toFixed(1)} s`);
    console.error(r.log.split('\n').slice(-40).join('\n'));
  }
}
console.log(failed ? `${failed} notebook(s) failed.` : `All ${notebooks.length} notebooks rendered. Open ${outDir}/*.html in a browser.`);
process.exit(failed ? 1 : 0);
