/** What `up` hands each node agent (a JSON file named on its command line). */
import { readFileSync } from 'node:fs';

export interface NodeConfig {
  name: string;
  /** 1-based: picks the node's pod range. */
  index: number;
  /** InternalIP; the log endpoint listens here. */
  ip: string;
  /** Pod IPs come from this /24. */
  podCidr: string;
  /** The log endpoint's port (daemonEndpoints.kubeletEndpoint.Port). */
  port: number;
  /** Capacity = allocatable: cpu and memory as quantities, and how many pods. */
  cpu: string;
  memory: string;
  pods: number;
  /** The node's own identity (system:node:<name>). */
  kubeconfig: string;
  /** Serving certificate for the log endpoint, and the CA that signed the API server's client certificate. */
  tls: { cert: string; key: string; ca: string };
  network: { mode: 'netns'; bridge: string; prefix: number; gateway: string } | { mode: 'host'; why: string };
  /** This node's folder: pod volumes, logs. */
  dir: string;
  /** The checkout whose bin/caplab.js the caplab image runs. */
  repoRoot: string;
  kubeletVersion: string;
}

export function readNodeConfig(path: string): NodeConfig {
  return JSON.parse(readFileSync(path, 'utf8')) as NodeConfig;
}
