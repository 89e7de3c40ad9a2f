/**
 * The command lines of the control plane's four servers, as envtest, kwokctl and
 * hack/local-up-cluster.sh start them, with what the issue asks for: real authentication and
 * authorization, the default admission plugins, and the Job, EndpointSlice, garbage-collector,
 * namespace, node-lifecycle and service-account controllers.
 */
import type { Pki } from './pki.ts';

export interface EtcdPorts {
  client: number;
  peer: number;
}

export function etcdArgs(dataDir: string, p: EtcdPorts): string[] {
  const client = `http://127.0.0.1:${p.client}`;
  const peer = `http://127.0.0.1:${p.peer}`;
  return [
    '--name=caplab-local',
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=caplab-local=${peer}`,
    // Throwaway data: fsync buys nothing and costs seconds on a shared disk.
    '--unsafe-no-fsync',
    '--quota-backend-bytes=2147483648',
    '--log-level=warn',
  ];
}

export interface ApiserverOptions {
  pki: Pki;
  etcd: string;
  bind: string;
  advertise: string;
  port: number;
  tokenFile: string;
  serviceCidr: string;
}

/** Admission beyond the defaults: NodeRestriction keeps each node agent to its own Node and pods. */
const EXTRA_ADMISSION = ['NodeRestriction'];

export function apiserverArgs(o: ApiserverOptions): string[] {
  return [
    `--etcd-servers=${o.etcd}`,
    `--bind-address=${o.bind}`,
    // Endpoints and EndpointSlices refuse loopback addresses: the `kubernetes` Service needs this.
    `--advertise-address=${o.advertise}`,
    `--secure-port=${o.port}`,
    `--tls-cert-file=${o.pki.apiserver.cert}`,
    `--tls-private-key-file=${o.pki.apiserver.key}`,
    `--client-ca-file=${o.pki.ca.cert}`,
    `--token-auth-file=${o.tokenFile}`,
    '--authorization-mode=Node,RBAC',
    // Defaults stay on (PodSecurity, ServiceAccount, ResourceQuota, LimitRanger, Priority, …).
    `--enable-admission-plugins=${EXTRA_ADMISSION.join(',')}`,
    `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
    `--service-account-key-file=${o.pki.serviceAccountPub}`,
    `--service-account-signing-key-file=${o.pki.serviceAccountKey}`,
    `--service-cluster-ip-range=${o.serviceCidr}`,
    // pods/log is proxied to the node agents: they check this client certificate.
    `--kubelet-client-certificate=${o.pki.kubeletClient.cert}`,
    `--kubelet-client-key=${o.pki.kubeletClient.key}`,
    '--kubelet-preferred-address-types=InternalIP',
    '--allow-privileged=false',
    '--profiling=false',
    '--v=1',
  ];
}

export interface ControllerManagerOptions {
  pki: Pki;
  kubeconfig: string;
  port: number;
  serviceCidr: string;
}

/** Controllers on besides the default set ("*" already holds job, endpointslice, garbagecollector, …). */
export const CONTROLLERS = ['*'];

export function controllerManagerArgs(o: ControllerManagerOptions): string[] {
  return [
    `--kubeconfig=${o.kubeconfig}`,
    `--authentication-kubeconfig=${o.kubeconfig}`,
    `--authorization-kubeconfig=${o.kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${o.port}`,
    '--leader-elect=false',
    // Each controller acts as its own service account, so RBAC applies to it as on a cluster.
    '--use-service-account-credentials=true',
    `--service-account-private-key-file=${o.pki.serviceAccountKey}`,
    // Published into every namespace as the kube-root-ca.crt ConfigMap.
    `--root-ca-file=${o.pki.ca.cert}`,
    `--service-cluster-ip-range=${o.serviceCidr}`,
    `--controllers=${CONTROLLERS.join(',')}`,
    '--profiling=false',
    '--v=1',
  ];
}

export function schedulerArgs(kubeconfig: string, port: number): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    '--leader-elect=false',
    '--profiling=false',
    '--v=1',
  ];
}
