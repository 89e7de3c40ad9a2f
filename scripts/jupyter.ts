/**
 * Finds a Jupyter installation and registers caplab's tslab kernel in a project-local Jupyter
 * data folder, so nothing depends on (or changes) the user's global kernelspecs.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const JUPYTER_DATA = join(ROOT, '.jupyter-local', 'share', 'jupyter');
export const KERNEL_NAME = 'caplab-tslab';

const INSTALL_HELP = `Jupyter (nbconvert + nbclient) was not found.
  Debian/Ubuntu:  sudo apt-get update && sudo apt-get install -y jupyter-nbconvert jupyter-client python3-nbclient jupyter-notebook
  other systems:  python3 -m pip install nbconvert nbclient jupyter_client notebook
Then run \`npm run setup\` again.`;

/** The first Python that can import nbconvert and nbclient; Debian's /usr/bin/python3 first. */
export function findJupyterPython(): string | null {
  const candidates = [process.env.CAPLAB_PYTHON, '/usr/bin/python3', 'python3', 'python'].filter(Boolean) as string[];
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import nbconvert, nbclient, jupyter_client'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return null;
}

/** The environment every Jupyter call of ours runs with: our kernel first, our data folder only. */
export function jupyterEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    JUPYTER_PATH: JUPYTER_DATA,
    // A data dir of our own keeps Jupyter from reading or writing the user's runtime files.
    JUPYTER_DATA_DIR: JUPYTER_DATA,
    JUPYTER_RUNTIME_DIR: join(ROOT, '.jupyter-local', 'runtime'),
    JUPYTER_CONFIG_DIR: join(ROOT, '.jupyter-local', 'config'),
    ...extra,
  };
}

/** Writes the kernelspec: this Node binary running this project's tslab, absolute paths. */
export function registerKernel(): string {
  const tslab = join(ROOT, 'node_modules', 'tslab', 'bin', 'tslab');
  if (!existsSync(tslab)) throw new Error(`tslab is not installed at ${tslab}. Run \`npm ci\` first.`);
  const dir = join(JUPYTER_DATA, 'kernels', KERNEL_NAME);
  mkdirSync(dir, { recursive: true });
  const spec = {
    argv: [process.execPath, tslab, 'kernel', '--config-path', '{connection_file}'],
    display_name: 'caplab (TypeScript)',
    language: 'typescript',
    env: { CAPLAB_ROOT: ROOT },
  };
  writeFileSync(join(dir, 'kernel.json'), JSON.stringify(spec, null, 2) + '\n');
  return dir;
}

/** Checks Jupyter and registers the kernel; exits with install instructions when Jupyter is missing. */
export function setup(options: { quiet?: boolean } = {}): { python: string; kernelDir: string } {
  const python = findJupyterPython();
  if (!python) {
    console.error(INSTALL_HELP);
    process.exit(1);
  }
  const kernelDir = registerKernel();
  if (!options.quiet) {
    console.log(`Jupyter: ${python} (nbconvert, nbclient found)`);
    console.log(`Kernel "${KERNEL_NAME}" registered for this project in ${kernelDir}`);
    console.log(`Open the notebooks with:  JUPYTER_PATH=${JUPYTER_DATA} jupyter notebook notebooks/`);
  }
  return { python, kernelDir };
}
