/**
 * Connecting to a cluster the way kubectl does: KUBECONFIG (a path list), else ~/.kube/config,
 * else the in-cluster service account; `context` and `namespace` override the kubeconfig's.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { CaplabError } from '../errors.ts';
import { DEFAULT_NAMESPACE } from './objects/namespace.ts';
import { k8s, type AuthorizationV1Api, type BatchV1Api, type CoreV1Api, type KubeConfig, type VersionApi } from './vendor.ts';

export interface KubeOptions {
  /** Kubeconfig context. Default: the kubeconfig's current context. */
  context?: string;
  /** Namespace. Default: CAPLAB_NAMESPACE, else the context's namespace, else `caplab`. */
  namespace?: string;
  /** Kubeconfig file(s). Default: KUBECONFIG, else ~/.kube/config, else in-cluster. */
  kubeconfig?: string;
}

export interface Kube {
  kc: KubeConfig;
  /** Where the config came from: a file path or "in-cluster". */
  source: string;
  context: string;
  server: string;
  namespace: string;
  core: CoreV1Api;
  batch: BatchV1Api;
  authz: AuthorizationV1Api;
  version: VersionApi;
}

const SA_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** Where a kubeconfig would come from, or null when there is none (so callers can say so). */
export function kubeconfigSource(options: KubeOptions = {}): string | null {
  const explicit = options.kubeconfig ?? process.env.KUBECONFIG;
  if (explicit) {
    const files = explicit.split(delimiter).filter(Boolean);
    return files.some((f) => existsSync(f)) ? files.join(delimiter) : null;
  }
  const home = join(process.env.HOME || homedir(), '.kube', 'config');
  if (existsSync(home)) return home;
  if (process.env.KUBERNETES_SERVICE_HOST && existsSync(SA_TOKEN)) return 'in-cluster';
  return null;
}

export async function loadKube(options: KubeOptions = {}): Promise<Kube> {
  const m = await k8s();
  const source = kubeconfigSource(options);
  if (!source) {
    throw new CaplabError('no-kubeconfig', `No kubeconfig found (KUBECONFIG=${process.env.KUBECONFIG ?? 'unset'}, no ~/.kube/config, not inside a cluster).`, {
      hint: 'Point KUBECONFIG at your cluster\'s config (kind and minikube write ~/.kube/config), then run `caplab cluster check`.',
    });
  }
  const kc = new m.KubeConfig();
  try {
    if (source === 'in-cluster') kc.loadFromCluster();
    else {
      const files = source.split(delimiter).filter((f) => existsSync(f));
      kc.loadFromFile(files[0]);
      for (const f of files.slice(1)) {
        const more = new m.KubeConfig();
        more.loadFromFile(f);
        kc.mergeConfig(more);
      }
    }
  } catch (e) {
    throw new CaplabError('bad-kubeconfig', `Cannot read the kubeconfig ${source}: ${(e as Error).message}`, { hint: 'Check the file with `kubectl config view`.', cause: e });
  }
  if (options.context) {
    if (!kc.getContextObject(options.context)) {
      const known = kc.getContexts().map((c) => c.name).join(', ') || 'none';
      throw new CaplabError('no-context', `Context "${options.context}" is not in ${source} (contexts: ${known}).`, { hint: 'Pick one with --context, or `kubectl config get-contexts`.' });
    }
    kc.setCurrentContext(options.context);
  }
  const contextName = kc.getCurrentContext();
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new CaplabError('no-context', `The kubeconfig ${source} has no current context (or its cluster is missing).`, { hint: 'Choose one: `kubectl config use-context NAME`, or pass --context.' });
  }
  const namespace = options.namespace ?? process.env.CAPLAB_NAMESPACE ?? kc.getContextObject(contextName)?.namespace ?? DEFAULT_NAMESPACE;
  return {
    kc,
    source,
    context: contextName || 'in-cluster',
    server: cluster.server,
    namespace,
    core: kc.makeApiClient(m.CoreV1Api),
    batch: kc.makeApiClient(m.BatchV1Api),
    authz: kc.makeApiClient(m.AuthorizationV1Api),
    version: kc.makeApiClient(m.VersionApi),
  };
}
