/**
 * The kubelet's log endpoint, where the API server proxies `pods/log`:
 * GET https://<InternalIP>:<port>/containerLogs/{namespace}/{pod}/{container}?follow&tailLines&…
 * Only clients with a certificate from the cluster CA (the API server's kubelet client
 * certificate) get in: the endpoint listens on the bridge, where pods could reach it.
 */
import { createServer, type Server } from 'node:https';
import { readFileSync } from 'node:fs';
import type { Logs } from './logs.ts';

export interface LogTarget {
  uid: string;
  /** Containers the pod spec names. */
  containers: string[];
  /** Why there is no log yet (the container's waiting reason), if it never started. */
  waiting(container: string): string | undefined;
}

export interface LogServerOptions {
  host: string;
  port: number;
  tls: { cert: string; key: string; ca: string };
  logs: Logs;
  find(namespace: string, pod: string): LogTarget | undefined;
}

function num(q: URLSearchParams, k: string): number | undefined {
  const v = q.get(k);
  return v === null || v === '' ? undefined : Number(v);
}

export function startLogServer(o: LogServerOptions): Promise<Server> {
  const server = createServer({
    cert: readFileSync(o.tls.cert),
    key: readFileSync(o.tls.key),
    ca: readFileSync(o.tls.ca),
    requestCert: true,
    rejectUnauthorized: true,
  }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://node');
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    const fail = (code: number, text: string) => {
      res.writeHead(code, { 'Content-Type': 'text/plain' });
      res.end(text);
    };
    if (req.method !== 'GET' || !m) return fail(404, `404 page not found: ${url.pathname}`);
    const [ns, name, container] = m.slice(1).map(decodeURIComponent) as [string, string, string];
    const target = o.find(ns, name);
    if (!target) return fail(404, `pod "${name}" in namespace "${ns}" is not on this node`);
    if (!target.containers.includes(container)) return fail(400, `container ${container} is not valid for pod ${name}`);
    const q = url.searchParams;
    const previous = q.get('previous') === 'true';
    if (!o.logs.has(target.uid, container, previous)) {
      if (previous) return fail(400, `previous terminated container "${container}" in pod "${name}" not found`);
      const reason = target.waiting(container) ?? 'ContainerCreating';
      const why = reason === 'ImagePullBackOff' || reason === 'ErrImagePull' ? 'trying and failing to pull image' : reason;
      return fail(400, `container "${container}" in pod "${name}" is waiting to start: ${why}`);
    }
    const timestamps = q.get('timestamps') === 'true';
    const text = o.logs.text(target.uid, container, { tailLines: num(q, 'tailLines'), limitBytes: num(q, 'limitBytes'), sinceSeconds: num(q, 'sinceSeconds'), timestamps }, previous);
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.write(text);
    if (q.get('follow') !== 'true' || previous) return void res.end();
    const off = o.logs.follow(target.uid, container, timestamps, (t) => res.write(t), () => res.end());
    res.on('close', off);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve(server));
  });
}
