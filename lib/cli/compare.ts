/** `caplab compare`: the tables of notebook 07 in a terminal, from stored results only. */
import { CaplabError, compareStored, comparisonMarkdown, comparisonText, EXAMPLE_PRICES, storedResultPaths, resultsPath } from '../index.ts';
import { numberOption, parseCommand } from './output.ts';

const HELP = `usage: caplab compare RESULT… [options] [--json | --markdown]
       caplab compare --preset quick [options]

Compares stored results, never running anything: memory probe reports (caplab probe --out FILE),
search experiment folders (caplab search --out DIR) and training results. Refuses results of
different data, search space, backend or caplab version, naming the field that differs.

  RESULT              a probe report (.json), a search experiment folder, or a training result (.json)
  --preset P          compare what the notebooks stored for preset P under results/
                      (probe-P.json, search-P-{sequential,pool,kubernetes}/, train-P-*.json)
  --vcpu-hour X       price of one vCPU for an hour (default ${EXAMPLE_PRICES.vcpuHour}, an EXAMPLE price)
  --gib-hour X        price of one GiB of memory for an hour (default ${EXAMPLE_PRICES.gibHour}, an EXAMPLE price)
  --currency C        currency of the prices (default ${EXAMPLE_PRICES.currency})
  --project-pods N    projection: pods at once for the projected cluster search (default: one per trial)
  --pod-start S       projection: assumed seconds for a pod to start (default 10)
  --json              stdout's last line is one JSON object (the whole comparison)
  --markdown          Markdown tables instead of plain text`;

const OPTIONS = {
  preset: { type: 'string' },
  'vcpu-hour': { type: 'string' },
  'gib-hour': { type: 'string' },
  currency: { type: 'string' },
  'project-pods': { type: 'string' },
  'pod-start': { type: 'string' },
  json: { type: 'boolean' },
  markdown: { type: 'boolean' },
} as const;

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, OPTIONS, HELP, true);
  if (!p) return 0;
  const v = p.values;
  if (v.json && v.markdown) throw new CaplabError('usage', 'Pass either --json or --markdown, not both.');
  let paths = p.positionals;
  if (v.preset) {
    if (paths.length) throw new CaplabError('usage', 'Pass RESULT paths or --preset, not both.');
    paths = storedResultPaths(v.preset);
    if (!paths.length) {
      throw new CaplabError('no-result', `No stored results for preset "${v.preset}" under ${resultsPath()}.`, {
        hint: `Run the notebooks first (CAPLAB_PRESET=${v.preset} npm run demo), or pass result paths.`,
      });
    }
  }
  if (!paths.length) throw new CaplabError('usage', 'caplab compare needs stored results to compare.', { hint: 'Pass RESULT paths (e.g. results/search-quick-sequential results/search-quick-pool) or --preset quick.' });
  const comparison = await compareStored(paths, {
    prices: {
      vcpuHour: numberOption('vcpu-hour', v['vcpu-hour'], { min: 0 }),
      gibHour: numberOption('gib-hour', v['gib-hour'], { min: 0 }),
      currency: v.currency,
    },
    projectPods: numberOption('project-pods', v['project-pods'], { integer: true, min: 1 }),
    podStartSeconds: numberOption('pod-start', v['pod-start'], { min: 0 }),
  });
  if (v.json) process.stdout.write(JSON.stringify(comparison) + '\n');
  else process.stdout.write(v.markdown ? comparisonMarkdown(comparison) : comparisonText(comparison));
  return 0;
}
