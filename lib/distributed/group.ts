/**
 * A process group for data-parallel training: k ranks, rank 0 is the rendezvous point (like
 * MASTER_ADDR in PyTorch). `allReduceMean` averages a float32 buffer across ranks in place;
 * every rank ends each step with bit-identical values, so their model replicas stay identical.
 *
 * Star topology through rank 0: for the handful of pods caplab uses, one hop beats a ring's
 * 2(k-1) latency-bound hops, and summing in rank order makes the result deterministic.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { CaplabError } from '../errors.ts';
import { FRAME, floatsOf, readFrames, sendFrame, sendJson, type Frame } from './frames.ts';
import { withDefaults } from '../util/defaults.ts';

export interface GroupOptions {
  rank: number;
  worldSize: number;
  /** Host of rank 0 (on Kubernetes: `<job>-0.<service>`). */
  host: string;
  port: number;
  /** How long to wait for all ranks to arrive, and for each step. Default 120 000 ms. */
  timeoutMs?: number;
}

export interface Group {
  readonly rank: number;
  readonly worldSize: number;
  /** Replaces `data` with its mean over all ranks. Every rank must call it with the same length. */
  allReduceMean(data: Float32Array): Promise<void>;
  close(): Promise<void>;
}

const defaults = { timeoutMs: 120_000 };

function checkOptions(o: GroupOptions): void {
  if (!Number.isInteger(o.worldSize) || o.worldSize < 1) {
    throw new CaplabError('bad-config', `worldSize must be a positive integer, got ${o.worldSize}.`);
  }
  if (!Number.isInteger(o.rank) || o.rank < 0 || o.rank >= o.worldSize) {
    throw new CaplabError('bad-config', `rank must be an integer in [0, ${o.worldSize - 1}], got ${o.rank}.`);
  }
}

/** Joins the group; resolves once every rank has arrived. */
export async function joinGroup(options: GroupOptions): Promise<Group> {
  checkOptions(options);
  const o = withDefaults(defaults, options);
  if (o.worldSize === 1) return { rank: 0, worldSize: 1, allReduceMean: async () => {}, close: async () => {} };
  return o.rank === 0 ? leader(o) : follower(o);
}

function lostError(what: string): CaplabError {
  return new CaplabError('rank-lost', `Data-parallel training lost a peer: ${what}.`, {
    hint: 'Look at that rank\'s pod logs (OOMKilled? evicted?), then run the training again.',
  });
}

async function leader(o: Required<GroupOptions>): Promise<Group> {
  const peers = new Array<Socket | undefined>(o.worldSize);
  const inbox = new Map<number, Float32Array>();
  let waiting: { resolve: () => void; reject: (e: Error) => void } | null = null;
  let failure: Error | null = null;
  const fail = (e: Error) => {
    if (failure) return;
    failure = e;
    for (const s of peers) s?.destroy();
    server.close();
    waiting?.reject(e);
  };

  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    let rank = -1;
    readFrames(socket, (frame: Frame) => {
      if (frame.type === FRAME.hello) {
        const hello = JSON.parse(frame.body.toString()) as { rank: number; worldSize: number };
        if (hello.worldSize !== o.worldSize || hello.rank <= 0 || hello.rank >= o.worldSize || peers[hello.rank]) {
          sendJson(socket, FRAME.error, { message: `rank ${hello.rank} of ${hello.worldSize} does not fit this group of ${o.worldSize} (or is taken)` });
          socket.end();
          return;
        }
        rank = hello.rank;
        peers[rank] = socket;
        waiting?.resolve();
      } else if (frame.type === FRAME.data) {
        inbox.set(rank, Float32Array.from(floatsOf(frame.body)));
        waiting?.resolve();
      }
    });
    socket.on('close', () => {
      if (rank > 0 && peers[rank] === socket) fail(lostError(`rank ${rank} disconnected`));
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new CaplabError('rendezvous-failed', `Rank 0 cannot listen on port ${o.port}: ${e.message}.`, { hint: 'Pick a free port.', cause: e })));
    server.listen(o.port, '0.0.0.0', () => resolve());
  });

  /** Waits until `ready()` holds, woken by each incoming frame. */
  const until = async (ready: () => boolean, what: string) => {
    const deadline = Date.now() + o.timeoutMs;
    while (!ready()) {
      if (failure) throw failure;
      const left = deadline - Date.now();
      if (left <= 0) {
        const err = new CaplabError('rendezvous-timeout', `Rank 0 waited ${o.timeoutMs} ms for ${what}.`, {
          hint: 'Check that every rank\'s pod is running and can reach rank 0 (headless Service, NetworkPolicy).',
        });
        fail(err);
        throw err;
      }
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, left);
        waiting = { resolve: () => { clearTimeout(timer); resolve(); }, reject: (e) => { clearTimeout(timer); reject(e); } };
      });
      waiting = null;
    }
  };

  await until(() => peers.filter(Boolean).length === o.worldSize - 1, `${o.worldSize - 1} ranks to join`);
  for (const s of peers) if (s) sendJson(s, FRAME.welcome, { worldSize: o.worldSize });

  return {
    rank: 0,
    worldSize: o.worldSize,
    async allReduceMean(data) {
      await until(() => inbox.size === o.worldSize - 1, 'gradients from every rank');
      for (let r = 1; r < o.worldSize; r++) {
        const other = inbox.get(r)!;
        if (other.length !== data.length) {
          const e = new CaplabError('bad-config', `Rank ${r} sent ${other.length} values, rank 0 has ${data.length}.`, {
            hint: 'Every rank must build the same model config.',
          });
          fail(e);
          throw e;
        }
        for (let i = 0; i < data.length; i++) data[i] += other[i];
      }
      inbox.clear();
      const inv = 1 / o.worldSize;
      for (let i = 0; i < data.length; i++) data[i] *= inv;
      for (const s of peers) if (s) sendFrame(s, FRAME.result, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    },
    async close() {
      for (const s of peers) s?.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function follower(o: Required<GroupOptions>): Promise<Group> {
  const deadline = Date.now() + o.timeoutMs;
  let socket: Socket | undefined;
  let delay = 100;
  // Rank 0's pod may start after ours, and its DNS name may not resolve yet: retry until the deadline.
  while (!socket) {
    try {
      socket = await new Promise<Socket>((resolve, reject) => {
        const s = connect({ host: o.host, port: o.port }, () => resolve(s));
        s.once('error', reject);
      });
    } catch (e) {
      if (Date.now() + delay > deadline) {
        throw new CaplabError('rendezvous-timeout', `Rank ${o.rank} could not reach rank 0 at ${o.host}:${o.port} within ${o.timeoutMs} ms (${(e as Error).message}).`, {
          hint: 'Check that rank 0 is running and that the headless Service exists.',
          cause: e,
        });
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 2000);
    }
  }
  socket.setNoDelay(true);
  const s = socket;
  let pending: { resolve: (f: Frame) => void; reject: (e: Error) => void } | null = null;
  const queue: Frame[] = [];
  let failure: Error | null = null;
  readFrames(s, (frame) => {
    if (pending) {
      const p = pending;
      pending = null;
      p.resolve(frame);
    } else queue.push(frame);
  });
  s.on('close', () => {
    failure ??= lostError('rank 0 closed the connection');
    pending?.reject(failure);
  });
  s.on('error', () => {});
  const next = (): Promise<Frame> => {
    const f = queue.shift();
    if (f) return Promise.resolve(f);
    if (failure) return Promise.reject(failure);
    return new Promise((resolve, reject) => (pending = { resolve, reject }));
  };
  const expect = async (type: number) => {
    // A rank 0 that hangs without closing the socket must not hang every other rank with it.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new CaplabError('rank-timeout', `Rank ${o.rank} heard nothing from rank 0 for ${o.timeoutMs} ms.`, {
          hint: 'Look at rank 0\'s pod log: it may be stuck or starved of CPU; raise timeoutMs for very long steps.',
        })),
        o.timeoutMs,
      );
    });
    const f = await Promise.race([next(), timeout]).finally(() => clearTimeout(timer));
    if (f.type === FRAME.error) throw new CaplabError('rendezvous-refused', `Rank 0 refused rank ${o.rank}: ${JSON.parse(f.body.toString()).message}.`);
    if (f.type !== type) throw new CaplabError('protocol', `Rank ${o.rank} expected frame ${type}, got ${f.type}.`);
    return f;
  };

  sendJson(s, FRAME.hello, { rank: o.rank, worldSize: o.worldSize });
  await expect(FRAME.welcome);
  return {
    rank: o.rank,
    worldSize: o.worldSize,
    async allReduceMean(data) {
      sendFrame(s, FRAME.data, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      const f = await expect(FRAME.result);
      data.set(floatsOf(f.body));
    },
    async close() {
      s.end();
    },
  };
}
