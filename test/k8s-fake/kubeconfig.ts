/** The kubeconfig the double hands out: loadable by KubeConfig.loadFromFile, KUBECONFIG and kubectl. */
import { writeFileSync } from 'node:fs';

export interface KubeconfigFields {
  server: string;
  contextName: string;
  namespace: string;
  userName: string;
  token: string;
}

export function kubeconfigYaml(f: KubeconfigFields): string {
  // Plain http needs insecure-skip-tls-verify: @kubernetes/client-node refuses http otherwise.
  return `apiVersion: v1
kind: Config
clusters:
- name: ${f.contextName}
  cluster:
    server: ${f.server}
    insecure-skip-tls-verify: true
users:
- name: ${f.userName}
  user:
    token: ${f.token}
contexts:
- name: ${f.contextName}
  context:
    cluster: ${f.contextName}
    user: ${f.userName}
    namespace: ${f.namespace}
current-context: ${f.contextName}
preferences: {}
`;
}

export function writeKubeconfig(path: string, f: KubeconfigFields): void {
  writeFileSync(path, kubeconfigYaml(f), { mode: 0o600 });
}
