/** Runs this checkout's `caplab` command as a user would, collecting its exit code and output. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const CAPLAB_BIN = join(import.meta.dirname, '..', '..', 'bin', 'caplab.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `env` is added to this process's environment; a key set to undefined is removed from it. */
export function runCaplab(args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<CliRun> {
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CAPLAB_BIN, ...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
