/**
 * A caplab process node (started by `npm run cluster:local -- up`):
 * node k8s/local/node/main.ts <config.json>. Ends its pods on SIGTERM or SIGINT.
 */
import { Agent } from './agent.ts';
import { readNodeConfig } from './config.ts';

const path = process.argv[2];
if (!path) {
  console.error('usage: node k8s/local/node/main.ts <config.json> (written by `npm run cluster:local -- up`)');
  process.exit(2);
}
const cfg = readNodeConfig(path);
const log = (l: string) => console.log(`${new Date().toISOString()} ${cfg.name}: ${l}`);
const agent = new Agent(cfg, log);
let stopping = false;
const stop = (sig: string) => {
  if (stopping) return;
  stopping = true;
  log(`${sig}: stopping pods`);
  agent.stop().then(() => process.exit(0), (e) => (log(`stop: ${(e as Error).message}`), process.exit(1)));
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
agent.start().catch((e) => {
  log(`cannot start: ${(e as Error).message}`);
  void agent.stop().finally(() => process.exit(1));
});
