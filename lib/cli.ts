/**
 * The `caplab` command: a thin dispatcher. Each subcommand lives in lib/cli/<name>.ts and
 * exports `run(args)`; commands use only the public API in lib/index.ts (and lib/cli/output.ts,
 * the CLI's own argument and output helpers). One exception: `caplab worker`, the entry every
 * executor runs a spec through, holds the registry of spec kinds and loads only the workload a
 * spec names, so each worker process stays small (test/lib-imports.test.ts checks both).
 */
import { CaplabError } from './errors.ts';

type Command = { summary: string; load: () => Promise<{ run: (args: string[]) => Promise<number> }> };

const COMMANDS: Record<string, Command> = {
  data: { summary: 'generate, import and inspect datasets', load: () => import('./cli/data.ts') },
  train: { summary: 'train the return model on a dataset', load: () => import('./cli/train.ts') },
  probe: { summary: 'find where this machine runs out of memory', load: () => import('./cli/probe.ts') },
  search: { summary: 'run a hyperparameter search on an executor', load: () => import('./cli/search.ts') },
  worker: { summary: 'run one spec (used by executors, not by hand)', load: () => import('./cli/worker.ts') },
  cluster: { summary: 'check a Kubernetes cluster for caplab', load: () => import('./cli/cluster.ts') },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`);
  return `usage: caplab <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun \`caplab <command> --help\` for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`caplab: unknown command "${name}".\n\n${usage()}`);
    return 2;
  }
  try {
    const mod = await command.load();
    return await mod.run(rest);
  } catch (e) {
    if (e instanceof CaplabError) {
      console.error(`caplab ${name}: ${e.message}`);
      return e.code === 'usage' ? 2 : 1;
    }
    // node:util parseArgs reports every bad command line (unknown option, missing value,
    // ambiguous "-1GiB") as a TypeError with an ERR_PARSE_ARGS_* code: a usage error, not a crash.
    if (e instanceof TypeError && String((e as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS')) {
      console.error(`caplab ${name}: ${e.message}\n  → Run \`caplab ${name} --help\` for the options.`);
      return 2;
    }
    throw e;
  }
}
