/**
 * `npm run cluster:local -- up [--nodes 3] [--node-cpu 2] [--node-memory 4Gi] [--json]` and
 * `npm run cluster:local -- down`: a real Kubernetes control plane built from source, with
 * caplab's process nodes, on this machine.
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { up } from './up.ts';
import { down } from './down.ts';
import { readState, isRunning } from './state.ts';

function usage(): string {
  return [
    'usage: npm run cluster:local -- up [--nodes N] [--node-cpu Q] [--node-memory Q] [--json]',
    '       npm run cluster:local -- down',
    '       npm run cluster:local -- status [--json]',
  ].join('\n');
}

function summary(s: NonNullable<ReturnType<typeof readState>>) {
  return {
    kubeconfig: s.kubeconfig,
    server: s.server,
    version: s.serverVersion,
    nodes: s.nodes.map((n) => n.name),
    contexts: s.contexts,
    namespace: s.namespace,
    bin: s.bin,
    network: s.network,
    dir: s.dir,
    upSeconds: s.upSeconds,
  };
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      nodes: { type: 'string' },
      'node-cpu': { type: 'string' },
      'node-memory': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const [cmd] = positionals;
  if (values.help || !cmd) {
    console.log(usage());
    return values.help ? 0 : 2;
  }
  if (cmd === 'up') {
    const nodes = values.nodes === undefined ? undefined : Number(values.nodes);
    const r = await up({ nodes, nodeCpu: values['node-cpu'], nodeMemory: values['node-memory'] });
    const s = summary(r.state);
    if (r.already) console.error(`a local control plane is already running (started ${r.state.startedAt}); its kubeconfig: ${s.kubeconfig}`);
    else console.error(`up in ${r.state.upSeconds} s: Kubernetes ${s.version}, ${s.nodes.length} process nodes, network ${s.network.mode}`);
    if (values.json) console.log(JSON.stringify({ ...s, already: r.already }));
    else console.log(`export KUBECONFIG=${s.kubeconfig}   # contexts: ${s.contexts.join(', ')}`);
    return 0;
  }
  if (cmd === 'down') {
    const r = await down();
    console.error(r.wasRunning ? `stopped ${r.stopped.join(', ')} and removed the runtime folder` : 'no local control plane was running');
    return 0;
  }
  if (cmd === 'status') {
    const s = readState();
    const running = isRunning(s);
    if (values.json) console.log(JSON.stringify(s ? { running, ...summary(s) } : { running: false }));
    else console.log(running && s ? `running: ${s.server} (${s.serverVersion}), kubeconfig ${s.kubeconfig}` : 'not running');
    return running ? 0 : 1;
  }
  console.error(`caplab: unknown cluster:local command "${cmd}".\n${usage()}`);
  return 2;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(`caplab: ${(e as Error).message}`);
      process.exit(1);
    },
  );
}
