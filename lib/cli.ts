/**
 * The `caplab` command: a thin dispatcher. Each subcommand lives in lib/cli/<name>.ts and
 * exports `run(args)`; commands use only the public API in lib/index.ts (and lib/cli/output.ts,
 * the CLI's own argument and output helpers). One exception: `caplab worker`, the entry every
 * executor runs a spec through, holds the registry of spec kinds and loads only the workload a
 * spec names, so each worker process stays small (test/lib-imports.test.ts checks both).
 */
// The error reporter is loaded only on an error: it imports the public API (every workload and
// the Kubernetes client), which `caplab --help` and every worker process would otherwise load.

type Command = { summary: string; load: () => Promise<{ run: (args: string[]) => Promise<number> }> };

const COMMANDS: Record<string, Command> = {
  data: { summary: 'generate, import and inspect datasets', load: () => import('./cli/data.ts') },
  train: { summary: 'train the return model on a dataset', load: () => import('./cli/train.ts') },
  probe: { summary: 'find where this machine runs out of memory', load: () => import('./cli/probe.ts') },
  search: { summary: 'run a hyperparameter search on an executor', load: () => import('./cli/search.ts') },
  worker: { summary: 'run one spec (used by executors, not by hand)', load: () => import('./cli/worker.ts') },
  cluster: { summary: 'check a Kubernetes cluster for caplab', load: () => import('./cli/cluster.ts') },
  compare: { summary: 'compare stored results: scale, parallelism, cost', load: () => import('./cli/compare.ts') },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`);
  return `usage: caplab <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun \`caplab <command> --help\` for a command's options.\nExit codes: 0 done, 1 failed (the message says why), 2 usage error, 70 internal error (a bug), 130 interrupted.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`caplab: unknown command "${name}".\n  → Commands: ${Object.keys(COMMANDS).join(', ')}; \`caplab --help\` says what each does.`);
    return 2;
  }
  try {
    const mod = await command.load();
    return await mod.run(rest);
  } catch (e) {
    const { reportError } = await import('./cli/errors.ts');
    return reportError(name, e);
  }
}
