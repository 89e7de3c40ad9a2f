/**
 * A real Jupyter server (Notebook 7) for the live-notebook test: installed once into a virtualenv
 * cached outside the repository, started on loopback with a random token and only the project's
 * kernel, stopped with its whole process group.
 *
 * Debian packages Notebook 6 only; the UI people use today is Notebook 7, so it comes from the
 * Python package index, pinned. `node scripts/jupyter-live.ts install` makes the virtualenv (CI
 * runs it after `npm ci`); it returns at once when the virtualenv is already there.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KERNEL_NAME, ROOT, jupyterEnv } from './jupyter.ts';

export const NOTEBOOK_VERSION = '7.6.5';

/**
 * Debian's Python rather than a pyenv one: it is there on every machine CI sets up (Jupyter for
 * the headless runs comes from the same apt step), and its path does not depend on which pyenv
 * version a shell selects, so the cached virtualenv keeps working.
 */
const BASE_PYTHON = process.env.CAPLAB_VENV_PYTHON ?? '/usr/bin/python3';

/** `${XDG_CACHE_HOME:-~/.cache}/caplab/jupyter-venv-<version>`. */
export function liveVenv(): string {
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cache, 'caplab', `jupyter-venv-${NOTEBOOK_VERSION}`);
}

// Written last by install(): a virtualenv without it is a half-finished one and is made again.
const READY = '.caplab-ready';

/** The virtualenv's jupyter, or null when `install` has not run (or did not finish). */
export function locateLiveJupyter(): string | null {
  const venv = liveVenv();
  const jupyter = join(venv, 'bin', 'jupyter');
  return existsSync(join(venv, READY)) && existsSync(jupyter) ? jupyter : null;
}

export const INSTALL_HELP = `Notebook ${NOTEBOOK_VERSION} is not installed for the live notebook test.
  Run:  node scripts/jupyter-live.ts install
  (a virtualenv in ${liveVenv()}, made with ${BASE_PYTHON} -m venv; needs python3-venv on Debian)`;

/** Makes the virtualenv with notebook==NOTEBOOK_VERSION; nothing to do when it is already there. */
export function install(): { jupyter: string; installed: boolean } {
  const found = locateLiveJupyter();
  if (found) return { jupyter: found, installed: false };
  const venv = liveVenv();
  rmSync(venv, { recursive: true, force: true });
  const step = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`\`${cmd} ${args.join(' ')}\` failed (exit ${r.status ?? r.signal}); see its output above.`);
  };
  step(BASE_PYTHON, ['-m', 'venv', venv]);
  step(join(venv, 'bin', 'pip'), ['install', '--quiet', `notebook==${NOTEBOOK_VERSION}`]);
  writeFileSync(join(venv, READY), `notebook==${NOTEBOOK_VERSION}\n`);
  return { jupyter: join(venv, 'bin', 'jupyter'), installed: true };
}

export interface LiveServer {
  /** http://127.0.0.1:<port> */
  base: string;
  token: string;
  /** The page of a file under the repository root, token included. */
  url(pathFromRoot: string): string;
  /** Everything the server printed so far. */
  log(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts `jupyter notebook` at the repository root: loopback only, a random token, no browser,
 * only caplab's kernel, the project-local Jupyter folders. `env` reaches the kernels (they inherit
 * the server's environment). Resolves when the server answers its API.
 */
export async function startServer(options: { root?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<LiveServer> {
  const root = options.root ?? ROOT;
  const jupyter = locateLiveJupyter();
  if (!jupyter) throw new Error(INSTALL_HELP);
  const token = randomBytes(24).toString('hex');
  const port = await freePort();
  const settings = uiSettings();
  const child = spawn(
    jupyter,
    [
      'notebook', '--no-browser', '--allow-root', '--ip=127.0.0.1', `--port=${port}`,
      // Another process may take the port between freePort() and here: fail instead of moving on.
      '--ServerApp.port_retries=0',
      `--IdentityProvider.token=${token}`,
      `--ServerApp.root_dir=${root}`,
      `--KernelSpecManager.allowed_kernelspecs=${KERNEL_NAME}`,
      '--KernelSpecManager.ensure_native_kernel=False',
      `--JupyterNotebookApp.user_settings_dir=${join(settings, 'user-settings')}`,
      `--JupyterNotebookApp.workspaces_dir=${join(settings, 'workspaces')}`,
    ],
    // Its own process group, so stop() ends the server and every kernel it started.
    { cwd: root, env: jupyterEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let log = '';
  child.stdout!.on('data', (b: Buffer) => (log += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const base = `http://127.0.0.1:${port}`;
  const server: LiveServer = {
    base,
    token,
    url: (p) => `${base}/notebooks/${p.split('/').map(encodeURIComponent).join('/')}?token=${token}`,
    log: () => log,
    stop: async () => {
      await stopGroup(child, exited);
      rmSync(settings, { recursive: true, force: true });
    },
  };
  try {
    await waitForApi(base, token, child, () => log, options.timeoutMs ?? 60_000);
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}

/**
 * UI settings of this server alone (a fresh folder, removed on stop): every cell attached to the
 * page (windowing off), so what a test reads from the page is every cell, not those in view.
 */
function uiSettings(): string {
  const dir = mkdtempSync(join(tmpdir(), 'caplab-jupyter-ui-'));
  const tracker = join(dir, 'user-settings', '@jupyterlab', 'notebook-extension');
  mkdirSync(tracker, { recursive: true });
  mkdirSync(join(dir, 'workspaces'));
  writeFileSync(join(tracker, 'tracker.jupyterlab-settings'), JSON.stringify({ windowingMode: 'none' }));
  return dir;
}

async function waitForApi(base: string, token: string, child: ChildProcess, log: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // Polls the server's own status endpoint: the observed state we wait on is "it answers".
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`jupyter notebook exited (${child.exitCode ?? child.signalCode}) before it served:\n${log().split('\n').slice(-30).join('\n')}`);
    }
    const ok = await fetch(`${base}/api/status`, { headers: { Authorization: `token ${token}` }, signal: AbortSignal.timeout(2_000) })
      .then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`jupyter notebook did not answer on ${base} within ${timeoutMs / 1000} s:\n${log().split('\n').slice(-30).join('\n')}`);
}

/** SIGTERM to the group (server and kernels), SIGKILL to whatever is left after a grace period. */
async function stopGroup(child: ChildProcess, exited: Promise<void>): Promise<void> {
  const pgid = child.pid;
  if (pgid === undefined) return;
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-pgid, s);
    } catch {
      // The group is already gone.
    }
  };
  signal('SIGTERM');
  const grace = new Promise<'late'>((r) => setTimeout(() => r('late'), 10_000).unref());
  if ((await Promise.race([exited.then(() => 'done' as const), grace])) === 'late') signal('SIGKILL');
  // Kernels started by the server are in its group; the server exiting does not end them.
  signal('SIGKILL');
  await exited;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const cmd = process.argv[2];
  if (cmd === 'install') {
    try {
      const started = Date.now();
      const r = install();
      console.log(`${r.installed ? 'installed' : 'found'} Notebook ${NOTEBOOK_VERSION}: ${r.jupyter} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } catch (e) {
      console.error(`caplab: could not install Notebook ${NOTEBOOK_VERSION}: ${(e as Error).message}`);
      process.exit(1);
    }
  } else if (cmd === 'where') {
    const j = locateLiveJupyter();
    console.log(j ?? INSTALL_HELP);
    process.exit(j ? 0 : 1);
  } else {
    console.error('usage: node scripts/jupyter-live.ts install|where');
    process.exit(2);
  }
}
