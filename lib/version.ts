/** caplab's version, read from its package.json so there is one place to change it. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Walks up from this module (lib/ in the sources, dist/lib/ in the notebooks' build) to caplab's package.json. */
function readVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'caplab' && pkg.version) return pkg.version;
    }
    dir = dirname(dir);
  }
  throw new Error(`caplab's package.json was not found above ${fileURLToPath(import.meta.url)}.`);
}

export const CAPLAB_VERSION = readVersion();
