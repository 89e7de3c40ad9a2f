/**
 * A small fault-injecting proxy in front of the local API server, for what the real system
 * cannot be made to do on cue: drop a watch mid-stream (connection reset or a clean end, as an
 * idle timeout does) or answer a watch with the `410 Expired` ERROR event an API server sends for
 * a resourceVersion older than its history. Everything else passes through untouched. It listens
 * on 127.0.0.1 with a certificate from the cluster's CA and forwards with the kubeconfig's token.
 */
import type { IncomingMessage, ServerResponse, Server } from 'node:http';
import { createServer, request as httpsRequest } from 'node:https';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { issue } from '../../k8s/local/pki.ts';
import type { AddressInfo, Socket } from 'node:net';
import { join, dirname } from 'node:path';

export type WatchFault =
  /** After `afterEvents` events on a watch of `resource`, reset the connection ('reset') or end the response ('end'). */
  | { kind: 'watch-drop'; resource: string; afterEvents: number; mode: 'reset' | 'end'; times: number }
  /** The next watch of `resource` that names a resourceVersion gets ERROR 410 Expired and ends ('next-watch'); or every open one now ('now'). */
  | { kind: 'watch-gone'; resource: string; when: 'next-watch' | 'now'; times: number };

export interface FaultProxy {
  /** A kubeconfig like the given one, whose server is this proxy. */
  kubeconfigPath: string;
  /** Arms a fault; a `watch-gone` `now` acts at once and returns how many open watches it ended. */
  inject(fault: WatchFault): number;
  /** Faults that have not been used up. */
  pending(): WatchFault[];
  close(): Promise<void>;
}

const GONE = JSON.stringify({
  type: 'ERROR',
  object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'too old resource version: 1 (2)', reason: 'Expired', code: 410 },
}) + '\n';

function isWatch(url: URL): boolean {
  return url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
}

function resourceOf(url: URL): string {
  return url.pathname.split('/').filter(Boolean).pop() ?? '';
}

/** `pkiDir`: the control plane's pki folder (its CA signs the proxy's certificate). */
export async function startFaultProxy(kubeconfig: string, pkiDir: string): Promise<FaultProxy> {
  const kc = JSON.parse(readFileSync(kubeconfig, 'utf8'));
  const ctx = kc.contexts.find((c: any) => c.name === kc['current-context']);
  const user = kc.users.find((u: any) => u.name === ctx.context.user).user;
  const upstream = new URL(kc.clusters[0].cluster.server);
  const ca = readFileSync(kc.clusters[0].cluster['certificate-authority']);
  const faults: WatchFault[] = [];
  const openWatches = new Set<{ resource: string; res: ServerResponse; up?: IncomingMessage }>();
  const sockets = new Set<Socket>();

  const take = (f: WatchFault) => {
    f.times--;
    if (f.times <= 0) faults.splice(faults.indexOf(f), 1);
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const watch: { resource: string; res: ServerResponse; up?: IncomingMessage } | undefined = isWatch(url) ? { resource: resourceOf(url), res } : undefined;
    if (watch && url.searchParams.get('resourceVersion')) {
      const gone = faults.find((f) => f.kind === 'watch-gone' && f.when === 'next-watch' && f.resource === watch.resource);
      if (gone) {
        take(gone);
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return void res.end(GONE);
      }
    }
    const headers = { ...req.headers, host: upstream.host, authorization: `Bearer ${user.token}` };
    const up = httpsRequest({ hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers, ca }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      if (!watch || ur.statusCode !== 200) return void ur.pipe(res);
      // A watch answers at once, before its first event, as the API server does.
      res.flushHeaders();
      watch.up = ur;
      openWatches.add(watch);
      // The client went away: so does the upstream watch.
      res.on('close', () => (openWatches.delete(watch), ur.destroy()));
      let events = 0;
      let buffered = '';
      ur.setEncoding('utf8').on('data', (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl + 1);
          buffered = buffered.slice(nl + 1);
          res.write(line);
          events++;
          const drop = faults.find((f) => f.kind === 'watch-drop' && f.resource === watch.resource && events >= f.afterEvents) as Extract<WatchFault, { kind: 'watch-drop' }> | undefined;
          if (!drop) continue;
          take(drop);
          ur.destroy();
          if (drop.mode === 'reset') res.socket?.destroy();
          else res.end();
          return;
        }
      });
      ur.on('end', () => res.end());
    });
    up.on('error', () => res.socket?.destroy());
    req.pipe(up);
  };

  const certDir = mkdtempSync(join(dirname(kubeconfig), 'proxy-'));
  const tls = issue(certDir, 'proxy', { cert: join(pkiDir, 'ca.crt'), key: join(pkiDir, 'ca.key') }, { cn: 'caplab-fault-proxy', usage: 'server', ips: ['127.0.0.1'] }, 1);
  const server: Server = createServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, handle);
  server.on('connection', (s) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  const proxied = {
    ...kc,
    clusters: kc.clusters.map((c: any) => ({ ...c, cluster: { ...c.cluster, server: `https://127.0.0.1:${port}` } })),
  };
  const kubeconfigPath = join(dirname(kubeconfig), `kubeconfig-proxy-${port}`);
  writeFileSync(kubeconfigPath, JSON.stringify(proxied, null, 2), { mode: 0o600 });
  return {
    kubeconfigPath,
    inject(fault) {
      if (fault.kind === 'watch-gone' && fault.when === 'now') {
        let ended = 0;
        for (const w of [...openWatches]) {
          if (w.resource !== fault.resource) continue;
          w.up?.destroy();
          w.res.end(GONE);
          ended++;
        }
        return ended;
      }
      faults.push({ ...fault });
      return 0;
    },
    pending: () => faults.map((f) => ({ ...f })),
    close: () => new Promise((ok) => {
      for (const s of sockets) s.destroy();
      server.close(() => ok());
    }),
  };
}
