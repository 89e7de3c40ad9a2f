/** GET /api/v1/namespaces/{ns}/pods/{name}/log: text/plain, or a stream with follow=true. */
import type { ServerResponse } from 'node:http';
import type { Ctx } from './context.ts';
import { badRequest, notFound } from './status.ts';
import { resourceNamed } from './resources.ts';

function num(q: URLSearchParams, k: string): number | undefined {
  const v = q.get(k);
  return v === null || v === '' ? undefined : Number(v);
}

export function serveLog(ctx: Ctx, namespace: string, name: string, q: URLSearchParams, res: ServerResponse): void {
  const pod = ctx.store.get('pods', namespace, name);
  if (!pod) throw notFound(resourceNamed('pods'), name);
  const names: string[] = (pod.spec?.containers ?? []).map((c: any) => c.name);
  let container = q.get('container') ?? '';
  if (!container) {
    if (names.length !== 1) throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`);
    container = names[0];
  }
  if (!names.includes(container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
  const previous = q.get('previous') === 'true';
  const uid = pod.metadata.uid;
  if (previous && !ctx.logs.has(uid, container, true)) {
    throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
  }
  if (!previous && !ctx.logs.has(uid, container)) {
    if (!pod.spec?.nodeName) throw badRequest(`pod ${name} does not have a host assigned`);
    const st = (pod.status?.containerStatuses ?? []).find((s: any) => s.name === container);
    const reason = st?.state?.waiting?.reason ?? 'ContainerCreating';
    const why = reason === 'ImagePullBackOff' || reason === 'ErrImagePull' ? 'trying and failing to pull image' : reason;
    throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ${why}`);
  }
  const timestamps = q.get('timestamps') === 'true';
  const text = ctx.logs.text(uid, container, { tailLines: num(q, 'tailLines'), limitBytes: num(q, 'limitBytes'), sinceSeconds: num(q, 'sinceSeconds'), timestamps }, previous);
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
  res.write(text);
  if (q.get('follow') !== 'true' || previous) {
    res.end();
    return;
  }
  res.flushHeaders();
  const off = ctx.logs.follow(uid, container, timestamps, (t) => res.write(t), () => res.end());
  res.on('close', off);
}
