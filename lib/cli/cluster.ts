/**
 * `caplab cluster check` says whether caplab can run on a cluster and what to do about each gap;
 * `caplab cluster manifests` prints (or writes into k8s/) the YAML that the builders make.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CaplabError, clusterCheck, formatClusterCheck, renderTemplates, writeFileAtomic } from '../index.ts';
import { parseCommand, printResult } from './output.ts';

const HELP = `usage: caplab cluster <check|manifests> [options]

  check       which cluster and context, server version, nodes and their allocatable CPU and
              memory, whether the namespace, PVC and RBAC are in place, and what to do for each gap
                --context NAME  --namespace NS  --kubeconfig FILE  --json
              exit code 0 when caplab can run, 1 when something needs fixing
  manifests   print the YAML of k8s/ (namespace, ServiceAccount, RBAC, PVC, Job templates)
                --write DIR   write them into DIR (e.g. k8s) instead of printing
                --check DIR   exit 1 if the files in DIR differ from what the builders make
                --namespace NS`;

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'check') return check(rest);
  if (sub === 'manifests') return manifests(rest);
  if (!sub || sub === '--help' || sub === '-h') {
    console.log(HELP);
    return sub ? 0 : 2;
  }
  throw new CaplabError('usage', `Unknown cluster command "${sub}".`, { hint: 'Use `caplab cluster check` or `caplab cluster manifests`.' });
}

async function check(args: string[]): Promise<number> {
  const parsed = parseCommand(args, { context: { type: 'string' }, namespace: { type: 'string' }, kubeconfig: { type: 'string' }, json: { type: 'boolean' } }, HELP);
  if (!parsed) return 0;
  const v = parsed.values as { context?: string; namespace?: string; kubeconfig?: string; json?: boolean };
  const report = await clusterCheck({ context: v.context, namespace: v.namespace, kubeconfig: v.kubeconfig });
  if (v.json) console.error(formatClusterCheck(report));
  printResult(!!v.json, report, formatClusterCheck(report));
  return report.ok ? 0 : 1;
}

async function manifests(args: string[]): Promise<number> {
  const parsed = parseCommand(args, { write: { type: 'string' }, check: { type: 'string' }, namespace: { type: 'string' } }, HELP);
  if (!parsed) return 0;
  const v = parsed.values as { write?: string; check?: string; namespace?: string };
  const files = renderTemplates(v.namespace);
  if (v.write) {
    for (const [file, text] of Object.entries(files)) await writeFileAtomic(join(v.write, file), text);
    console.error(`Wrote ${Object.keys(files).length} files into ${v.write}: ${Object.keys(files).join(', ')}`);
    return 0;
  }
  if (v.check) {
    const stale: string[] = [];
    for (const [file, text] of Object.entries(files)) {
      const have = await readFile(join(v.check, file), 'utf8').catch(() => null);
      if (have !== text) stale.push(file);
    }
    if (stale.length) {
      console.error(`Out of date in ${v.check}: ${stale.join(', ')}\n  → Regenerate: caplab cluster manifests --write ${v.check}`);
      return 1;
    }
    console.error(`${v.check} matches the builders.`);
    return 0;
  }
  process.stdout.write(Object.entries(files).map(([file, text]) => `# ---- k8s/${file}\n${text}`).join('---\n'));
  return 0;
}
