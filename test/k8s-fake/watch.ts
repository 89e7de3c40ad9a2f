/**
 * Watch streams: newline-delimited JSON events on a 200 response that stays open. Resuming from
 * a resourceVersion replays history; one older than the history gets an ERROR event with a 410
 * Expired Status and the stream ends (an informer then re-lists). Faults drop or expire streams.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Ctx } from './context.ts';
import type { Target } from './api.ts';
import type { FakeObject } from './types.ts';
import type { StoreEvent } from './store.ts';
import { apiVersionOf } from './resources.ts';
import { parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { failure, tooOld } from './status.ts';
import { toTable, wantsTable } from './table.ts';

export interface OpenWatch {
  resource: string;
  sent: number;
  /** Checks the active watch faults (called after each event and when a fault is added). */
  checkFaults(): void;
  close(): void;
}

const BOOKMARK_MS = 10_000;

export function serveWatch(ctx: Ctx, t: Target, q: URLSearchParams, req: IncomingMessage, res: ServerResponse, open: Set<OpenWatch>): void {
  const labels = parseLabelSelector(q.get('labelSelector'));
  const fields = parseFieldSelector(q.get('fieldSelector'));
  const matches = (o: FakeObject | undefined) =>
    !!o && (t.namespace === undefined || o.metadata.namespace === t.namespace) && labels(o) && fields(o);
  const rvParam = q.get('resourceVersion') ?? '';
  // kubectl get -w asks for Tables: each event then carries a one-row Table.
  const table = wantsTable(req.headers.accept);
  const typed = (o: FakeObject) => (table ? toTable(t.r, [o], o.metadata.resourceVersion) : { ...o, apiVersion: apiVersionOf(t.r), kind: t.r.kind });

  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();

  let ended = false;
  const send = (type: string, object: unknown) => {
    if (ended) return;
    w.sent++;
    // Fault checks once the line is flushed, so a drop "after N events" delivers all N.
    res.write(`${JSON.stringify({ type, object })}\n`, () => setImmediate(() => w.checkFaults()));
  };
  const finish = () => {
    if (ended) return;
    ended = true;
    cleanup();
    res.end();
  };
  const gone = (status = failure(410, 'Expired', `too old resource version: ${rvParam} (${ctx.store.oldestRv()})`)) => {
    send('ERROR', status);
    finish();
  };
  const w: OpenWatch = {
    resource: t.r.plural,
    sent: 0,
    checkFaults() {
      if (ended) return;
      if (ctx.faults.forWatch('watch-gone', t.r.plural, (s) => s.when === 'now')) return gone();
      const drop = ctx.faults.forWatch('watch-drop', t.r.plural, (s) => w.sent >= (s.afterEvents ?? 0));
      if (!drop) return;
      if ((drop.mode ?? 'reset') === 'end') return finish();
      ended = true;
      cleanup();
      res.socket?.destroy();
    },
    close: finish,
  };

  const onEvent = (ev: StoreEvent) => {
    if (ev.resource !== t.r.plural) return;
    const now = matches(ev.object);
    const before = ev.type === 'MODIFIED' && matches(ev.prev);
    // An object that starts or stops matching the selector is ADDED or DELETED for this watch.
    if (ev.type === 'MODIFIED' && now && !before) send('ADDED', typed(ev.object));
    else if (ev.type === 'MODIFIED' && !now && before) send('DELETED', typed(ev.object));
    else if (now) send(ev.type, typed(ev.object));
  };

  let off: () => void = () => {};
  let bookmarks: NodeJS.Timeout | undefined;
  let timeout: NodeJS.Timeout | undefined;
  const cleanup = () => {
    off();
    open.delete(w);
    if (bookmarks) clearInterval(bookmarks);
    if (timeout) clearTimeout(timeout);
  };
  req.on('close', finish);
  res.on('close', () => {
    ended = true;
    cleanup();
  });
  open.add(w);

  const resuming = rvParam !== '' && rvParam !== '0';
  if (resuming && ctx.faults.forWatch('watch-gone', t.r.plural, (s) => (s.when ?? 'next-watch') === 'next-watch')) {
    return gone(tooOld(rvParam, ctx.store.oldestRv()));
  }
  if (resuming) {
    const since = ctx.store.eventsSince(t.r.plural, Number(rvParam));
    if (since === 'gone') return gone(tooOld(rvParam, ctx.store.oldestRv()));
    off = ctx.store.onChange(onEvent);
    for (const ev of since) onEvent(ev);
  } else {
    // No resourceVersion (or "0"): synthetic ADDED events for what exists, then changes.
    off = ctx.store.onChange(onEvent);
    for (const o of ctx.store.list(t.r.plural, t.namespace)) if (matches(o)) send('ADDED', typed(o));
  }
  if (q.get('allowWatchBookmarks') === 'true') {
    bookmarks = setInterval(() => send('BOOKMARK', { kind: t.r.kind, apiVersion: apiVersionOf(t.r), metadata: { resourceVersion: ctx.store.currentRv() } }), BOOKMARK_MS);
    bookmarks.unref();
  }
  const ts = Number(q.get('timeoutSeconds'));
  if (ts > 0) {
    timeout = setTimeout(finish, ts * 1000);
    timeout.unref();
  }
  w.checkFaults();
}
