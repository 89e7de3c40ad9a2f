/**
 * `npm run deploy`: sets a cluster up for caplab, and is safe to run twice (everything is
 * `kubectl apply`, and Jobs are named by content). Steps:
 *   1. check kubectl and that the cluster answers
 *   2. optionally build the worker image (--build), push it (--push) or load it into kind (--kind)
 *   3. apply k8s/ (namespace, ServiceAccount, RBAC, PVC) — `kubectl apply -k`
 *   4. optionally prepare data on the PVC with a data Job (--data-job "data generate …")
 *   5. print what to run next
 * `--dry-run` prints the commands instead of running them (how the tests check this script).
 *
 *   npm run deploy -- --image registry.example/caplab:0.1.0 --build --push
 *   npm run deploy -- --kind caplab --build          # kind: build, then `kind load docker-image`
 */
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { $ } from 'zx';
import { buildDataJob, CAPLAB_VERSION, DEFAULT_NAMESPACE, renderTemplates, toYaml } from '../lib/index.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

const HELP = `usage: npm run deploy -- [options]

  --context NAME      kubeconfig context (default: the current one)
  --namespace NS      namespace (default ${DEFAULT_NAMESPACE})
  --image REF         worker image (default caplab:${CAPLAB_VERSION})
  --build             build the image from k8s/Dockerfile with docker
  --push              push the image (a registry your cluster can pull from)
  --kind NAME         load the image into the kind cluster NAME instead of pushing
  --data-job "ARGS"   make data on the PVC with a Job running \`caplab ARGS\`,
                      e.g. "data generate --scale 10 --out /data/synthetic-10"; waits for it
  --no-validate       skip kubectl's client-side schema check (for API servers without OpenAPI)
  --dry-run           print the commands, run nothing`;

interface DeployOptions {
  context?: string;
  namespace: string;
  image: string;
  build: boolean;
  push: boolean;
  kind?: string;
  dataJob?: string;
  dryRun: boolean;
  validate: boolean;
}

function options(argv: string[]): DeployOptions | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      context: { type: 'string' },
      namespace: { type: 'string' },
      image: { type: 'string' },
      build: { type: 'boolean' },
      push: { type: 'boolean' },
      kind: { type: 'string' },
      'data-job': { type: 'string' },
      'dry-run': { type: 'boolean' },
      'no-validate': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return null;
  return {
    context: values.context,
    namespace: values.namespace ?? DEFAULT_NAMESPACE,
    image: values.image ?? `caplab:${CAPLAB_VERSION}`,
    build: !!values.build,
    push: !!values.push,
    kind: values.kind,
    dataJob: values['data-job'],
    dryRun: !!values['dry-run'],
    validate: !values['no-validate'],
  };
}

/** Runs (or, dry, prints) one command; the dry answer lets later steps go on as if it worked. */
function runner(dryRun: boolean) {
  return async (cmd: string[], what: string): Promise<string> => {
    console.log(`\n# ${what}\n$ ${cmd.map(quote).join(' ')}`);
    if (dryRun) return '';
    const out = await $({ cwd: ROOT, verbose: false })`${cmd}`.nothrow();
    if (out.exitCode !== 0) {
      throw new Error(`${cmd[0]} failed (exit ${out.exitCode}) while trying to ${what}:\n${out.stderr.trim() || out.stdout.trim()}`);
    }
    if (out.stdout.trim()) console.log(out.stdout.trim());
    return out.stdout;
  };
}

function quote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export async function deploy(o: DeployOptions): Promise<void> {
  const run = runner(o.dryRun);
  const ctx = o.context ? ['--context', o.context] : [];
  const validate = o.validate ? [] : ['--validate=false'];
  await run(['kubectl', 'version', '--client'], 'check that kubectl is installed');
  await run(['kubectl', ...ctx, 'get', '--raw', '/version'], 'check that the cluster answers');

  if (o.build) await run(['docker', 'build', '-f', 'k8s/Dockerfile', '-t', o.image, '.'], `build the worker image ${o.image}`);
  if (o.push) await run(['docker', 'push', o.image], `push ${o.image} to its registry`);
  if (o.kind) await run(['kind', 'load', 'docker-image', o.image, '--name', o.kind], `load ${o.image} into the kind cluster ${o.kind}`);

  // The namespace is part of the manifests, so another namespace gets its own rendering.
  let dir = join(ROOT, 'k8s');
  let tmp: string | undefined;
  if (o.namespace !== DEFAULT_NAMESPACE) {
    tmp = await mkdtemp(join(tmpdir(), 'caplab-deploy-'));
    for (const [file, text] of Object.entries(renderTemplates(o.namespace))) {
      if (!file.includes('/')) await writeFile(join(tmp, file), text);
    }
    dir = tmp;
  }
  try {
    await run(['kubectl', ...ctx, 'apply', ...validate, '-k', dir.startsWith(ROOT + sep) ? relative(ROOT, dir) : dir], `set up namespace ${o.namespace}, the worker ServiceAccount, RBAC and the data PVC`);
    if (o.dataJob) {
      const args = o.dataJob.trim().split(/\s+/);
      const job = buildDataJob({ args, image: o.image, namespace: o.namespace });
      const file = join(tmp ?? (tmp = await mkdtemp(join(tmpdir(), 'caplab-deploy-'))), 'data-job.yaml');
      await writeFile(file, toYaml(job));
      await run(['kubectl', ...ctx, 'apply', ...validate, '-f', file], `start the data Job ${job.metadata.name} (caplab ${args.join(' ')})`);
      await run(['kubectl', ...ctx, '-n', o.namespace, 'wait', '--for=condition=complete', `job/${job.metadata.name}`, '--timeout=60m'], 'wait until the data is on the PVC');
    }
  } finally {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }

  const c = o.context ? ` --context ${o.context}` : '';
  const ns = o.namespace !== DEFAULT_NAMESPACE ? ` --namespace ${o.namespace}` : '';
  console.log(`\n# next
node bin/caplab.js cluster check${c}${ns}
node bin/caplab.js search --data data/synthetic --out results/search-k8s --executor kubernetes --image ${o.image}${c}${ns}
# or open notebooks/04-cloud-deploy.ipynb and 05-cloud-search.ipynb`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const o = options(process.argv.slice(2));
    if (!o) console.log(HELP);
    else await deploy(o);
  } catch (e) {
    console.error(`deploy: ${(e as Error).message}`);
    process.exitCode = 1;
  }
}
