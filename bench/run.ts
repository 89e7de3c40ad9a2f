// `npm run bench [name…]`: runs each bench/*.bench.ts in turn; each prints one JSON line per figure.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filter.length === 0 || filter.some((x) => f.includes(x)))
  .sort();
let failed = 0;
for (const b of benches) {
  console.error(`# ${b}`);
  const r = spawnSync(process.execPath, [join(here, b)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`# ${b} failed (exit ${r.status})`);
  }
}
process.exit(failed ? 1 : 0);
