/**
 * A process group for data-parallel training: k ranks, rank 0 is the rendezvous point (like
 * MASTER_ADDR in PyTorch). `allReduceMean` averages a float32 buffer across ranks in place;
 * every rank ends each step with bit-identical values, so their model replicas stay identical.
 *
 * Topology: at the rendezvous rank 0 hands every rank the others' addresses, and every pair of
 * ranks gets its own connection (a full mesh). An all-reduce is then ONE exchange: each rank
 * sends its buffer to every other rank and sums what it holds in rank order (x0 + x1 + …, the
 * same float32 operations on every rank, hence the same bits). Why not a star through rank 0
 * (the first version): a step waited for two hops in series — the buffer to rank 0, the sum
 * back — and each hop is a process wake-up, which on a busy machine costs milliseconds; in the
 * mesh a step waits for one. Why not a ring: for the handful of pods caplab uses, latency, not
 * bandwidth, is what costs (the default model's gradient is 17 KB), and a ring has 2(k−1) hops.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { CaplabError } from '../errors.ts';
import { withDefaults } from '../util/defaults.ts';
import { encodeFrame, FRAME, jsonOf, readFrames, sendJson, type Frame } from './frames.ts';

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
  /**
   * Replaces `data` with its mean over all ranks. Every rank must call it with the same length.
   * `whileWaiting` runs once `data` is on its way, before waiting for the other ranks: work that
   * does not depend on the result (the next batch) overlaps the exchange.
   */
  allReduceMean(data: Float32Array, whileWaiting?: () => void): Promise<void>;
  /**
   * Every rank's `mine`, by rank (this rank's entry is `mine` itself), exactly as sent: for
   * statistics that are merged rather than summed, in float64. Every rank must call it with
   * the same length.
   */
  allGather(mine: Float64Array): Promise<Float64Array[]>;
  close(): Promise<void>;
}

const defaults = { timeoutMs: 120_000 };
type Options = Required<GroupOptions>;

function checkOptions(o: GroupOptions): void {
  if (!Number.isInteger(o.worldSize) || o.worldSize < 1) {
    throw new CaplabError('bad-config', `worldSize must be a positive integer, got ${o.worldSize}.`);
  }
  if (!Number.isInteger(o.rank) || o.rank < 0 || o.rank >= o.worldSize) {
    throw new CaplabError('bad-config', `rank must be an integer in [0, ${o.worldSize - 1}], got ${o.rank}.`);
  }
}

/** Joins the group; resolves once every rank has arrived and every pair is connected. */
export async function joinGroup(options: GroupOptions): Promise<Group> {
  checkOptions(options);
  const o: Options = withDefaults(defaults, options);
  if (o.worldSize === 1) {
    return { rank: 0, worldSize: 1, allReduceMean: async (_, whileWaiting) => whileWaiting?.(), allGather: async (mine) => [mine], close: async () => {} };
  }
  const bell = new Bell();
  const links = o.rank === 0 ? await rendezvousAsRank0(o, bell) : await rendezvousAsPeer(o, bell);
  return meshGroup(o, links, bell);
}

function lostError(what: string): CaplabError {
  return new CaplabError('rank-lost', `Data-parallel training lost a peer: ${what}.`, {
    hint: 'Look at that rank\'s pod logs (OOMKilled? evicted?), then run the training again.',
  });
}

/** Wakes the one pending wait when any link has news (a frame, a close). */
class Bell {
  private wake: (() => void) | null = null;
  readonly ring = (): void => {
    const w = this.wake;
    this.wake = null;
    w?.();
  };
  /** Resolves at the next ring, or after `ms`. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/**
 * Largest first frame (the handshake) a connection may send: something else on the port (an
 * HTTP health check, say) reads as a frame of hundreds of MB, refused before any allocation.
 */
const MAX_HANDSHAKE_BYTES = 64 * 1024;

/** One connection to one other rank: frames queue up in arrival order until taken. */
class Link {
  /** -1 until the handshake says which rank this is (a refused stranger: Infinity). */
  rank = -1;
  readonly frames: Frame[] = [];
  /** Why the connection ended, once it has. */
  lost: string | null = null;
  readonly socket: Socket;
  private readonly spare: ArrayBuffer[] = [];
  private received = 0;

  /** `accepted`: the other side connected to us, so its first frame must be a small hello. */
  constructor(socket: Socket, ring: () => void, accepted: boolean) {
    this.socket = socket;
    socket.setNoDelay(true);
    readFrames(socket, (f) => {
      this.frames.push(f);
      ring();
    }, (type, n) => {
      if (accepted && this.received++ === 0 && n > MAX_HANDSHAKE_BYTES) return null;
      return type === FRAME.data ? this.dataBuffer(n) : new Uint8Array(n);
    });
    socket.on('error', (e) => {
      this.lost ??= `connection error (${e.message})`;
    });
    socket.on('close', () => {
      this.lost ??= 'disconnected';
      ring();
    });
  }

  /** Data frames land in recycled buffers (one or two per link in steady state): no garbage per step. */
  private dataBuffer(n: number): Uint8Array {
    const b = this.spare.pop();
    return new Uint8Array(b && b.byteLength === n ? b : new ArrayBuffer(n));
  }

  recycle(frame: Frame): void {
    if (this.spare.length < 2) this.spare.push(frame.body.buffer as ArrayBuffer);
  }
}

/**
 * Waits until `ready()` holds, sleeping until a link rings; `check()` throws when waiting is
 * pointless (a lost link). Throws `timeout()` at the deadline. (Polling instead of sleeping, to
 * save the wake-up, was measured: no gain on a quiet machine, several times slower on a busy one.)
 */
async function until(bell: Bell, ready: () => boolean, check: () => void, deadline: number, timeout: () => Error): Promise<void> {
  for (;;) {
    check();
    if (ready()) return;
    const left = deadline - Date.now();
    if (left <= 0) throw timeout();
    await bell.wait(left);
  }
}

function listen(server: Server, port: number, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (e) => reject(new CaplabError('rendezvous-failed', `${what} cannot listen on port ${port}: ${e.message}.`, { hint: 'Pick a free port.', cause: e })));
    server.listen(port, '0.0.0.0', () => resolve((server.address() as { port: number }).port));
  });
}

/** Connects to `host:port`, retrying until the deadline: the peer's pod (and DNS name) may come up after ours. */
async function connectWithRetry(host: string, port: number, deadline: number, who: string, timeoutMs: number): Promise<Socket> {
  let delay = 100;
  for (;;) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const s = connect({ host, port }, () => resolve(s));
        s.once('error', reject);
      });
    } catch (e) {
      if (Date.now() + delay > deadline) {
        throw new CaplabError('rendezvous-timeout', `${who} could not reach ${host}:${port} within ${timeoutMs} ms (${(e as Error).message}).`, {
          hint: 'Check that rank 0 is running and that the headless Service exists.',
          cause: e,
        });
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 2000);
    }
  }
}

interface Hello {
  rank: number;
  worldSize: number;
  /** Where this rank listens for higher ranks (0: nobody needs to connect to it). */
  port?: number;
}

interface Welcome {
  worldSize: number;
  /** Every rank's address, by rank (rank 0's own entry unused). */
  peers?: Array<{ host: string; port: number }>;
}

/** Rank 0: admits k − 1 ranks, then tells each where the others listen. */
async function rendezvousAsRank0(o: Options, bell: Bell): Promise<Link[]> {
  const links = new Array<Link>(o.worldSize);
  const arrivals: Link[] = [];
  const peers = new Array<{ host: string; port: number }>(o.worldSize).fill({ host: '', port: 0 });
  const server = createServer((socket) => arrivals.push(new Link(socket, bell.ring, true)));
  await listen(server, o.port, 'Rank 0');
  let admitted = 0;
  const admit = () => {
    for (const link of arrivals) {
      if (link.rank >= 0 || link.frames.length === 0) continue;
      const hello = jsonOf<Hello>(link.frames.shift()!);
      if (!hello || hello.worldSize !== o.worldSize || !(hello.rank > 0 && hello.rank < o.worldSize) || links[hello.rank]) {
        sendJson(link.socket, FRAME.error, { message: `rank ${hello?.rank} of ${hello?.worldSize} does not fit this group of ${o.worldSize} (or is taken)` });
        link.socket.end();
        link.rank = Infinity;
        continue;
      }
      link.rank = hello.rank;
      links[hello.rank] = link;
      peers[hello.rank] = { host: link.socket.remoteAddress ?? '', port: hello.port ?? 0 };
      admitted++;
    }
    return admitted === o.worldSize - 1;
  };
  const check = () => {
    for (const l of links) if (l?.lost) throw lostError(`rank ${l.rank} ${l.lost} before training started`);
  };
  try {
    await until(bell, admit, check, Date.now() + o.timeoutMs, () => new CaplabError('rendezvous-timeout', `Rank 0 waited ${o.timeoutMs} ms for ${o.worldSize - 1} ranks to join (${admitted} came).`, {
      hint: 'Check that every rank\'s pod is running and can reach rank 0 (headless Service, NetworkPolicy).',
    }));
  } catch (e) {
    for (const l of arrivals) l.socket.destroy();
    throw e;
  } finally {
    server.close();
  }
  for (const l of links) if (l) sendJson(l.socket, FRAME.welcome, { worldSize: o.worldSize, peers } satisfies Welcome);
  return links;
}

/** Rank r > 0: joins at rank 0, connects to ranks 1 … r − 1, and is connected to by ranks above. */
async function rendezvousAsPeer(o: Options, bell: Bell): Promise<Link[]> {
  const deadline = Date.now() + o.timeoutMs;
  const links = new Array<Link>(o.worldSize);
  const incoming: Link[] = [];
  const server = o.rank < o.worldSize - 1 ? createServer((socket) => incoming.push(new Link(socket, bell.ring, true))) : null;
  const all = () => [...links.filter(Boolean), ...incoming];
  try {
    const port = server ? await listen(server, 0, `Rank ${o.rank}`) : 0;
    const rank0 = new Link(await connectWithRetry(o.host, o.port, deadline, `Rank ${o.rank}`, o.timeoutMs), bell.ring, false);
    rank0.rank = 0;
    links[0] = rank0;
    sendJson(rank0.socket, FRAME.hello, { rank: o.rank, worldSize: o.worldSize, port } satisfies Hello);
    const welcome = jsonOf<Welcome>(await nextFrame(o, bell, rank0, FRAME.welcome)) ?? { worldSize: o.worldSize };
    for (let r = 1; r < o.rank; r++) {
      const at = welcome.peers?.[r];
      if (!at) throw new CaplabError('protocol', `Rank 0's welcome has no address for rank ${r}.`, { hint: 'Run the same caplab version on every rank.' });
      const link = new Link(await connectWithRetry(at.host, at.port, deadline, `Rank ${o.rank} (to rank ${r})`, o.timeoutMs), bell.ring, false);
      link.rank = r;
      links[r] = link;
      sendJson(link.socket, FRAME.peer, { rank: o.rank, worldSize: o.worldSize } satisfies Hello);
    }
    let joined = 0;
    const ready = () => {
      for (const link of incoming) {
        if (link.rank >= 0 || link.frames.length === 0) continue;
        const hello = jsonOf<Hello>(link.frames.shift()!);
        if (!hello || hello.worldSize !== o.worldSize || !(hello.rank > o.rank && hello.rank < o.worldSize) || links[hello.rank]) {
          // Not one of ours (or a duplicate): drop it and keep waiting for the real rank.
          link.socket.destroy();
          link.rank = Infinity;
          continue;
        }
        link.rank = hello.rank;
        links[hello.rank] = link;
        joined++;
      }
      return joined === o.worldSize - 1 - o.rank;
    };
    const check = () => {
      for (const l of links) if (l?.lost) throw lostError(`rank ${l.rank} ${l.lost} before training started`);
    };
    await until(bell, ready, check, deadline, () => new CaplabError('rendezvous-timeout', `Rank ${o.rank} waited ${o.timeoutMs} ms for ranks above it to connect (${joined} of ${o.worldSize - 1 - o.rank} came).`, {
      hint: 'Pods must reach each other directly (pod IPs); check NetworkPolicies.',
    }));
    return links;
  } catch (e) {
    for (const l of all()) l.socket.destroy();
    throw e;
  } finally {
    server?.close();
  }
}

/** The next frame from `link`, which must be of `type`: an error frame from rank 0 is a refusal. */
async function nextFrame(o: Options, bell: Bell, link: Link, type: number): Promise<Frame> {
  await until(bell, () => link.frames.length > 0, () => {
    if (link.lost && link.frames.length === 0) throw lostError(`rank ${link.rank} ${link.lost}`);
  }, Date.now() + o.timeoutMs, () => rankTimeout(o, [link.rank]));
  const f = link.frames.shift()!;
  if (f.type === FRAME.error) throw new CaplabError('rendezvous-refused', `Rank ${link.rank} refused rank ${o.rank}: ${jsonOf<{ message: string }>(f)?.message ?? 'no reason given'}.`);
  if (f.type !== type) throw new CaplabError('protocol', `Rank ${o.rank} expected frame ${type} from rank ${link.rank}, got ${f.type}.`);
  return f;
}

function rankTimeout(o: Options, silent: number[]): CaplabError {
  // A rank that hangs without closing its sockets must not hang every other rank with it.
  return new CaplabError('rank-timeout', `Rank ${o.rank} heard nothing from rank${silent.length > 1 ? 's' : ''} ${silent.join(', ')} for ${o.timeoutMs} ms.`, {
    hint: 'Look at that rank\'s pod log: it may be stuck or starved of CPU; raise timeoutMs for very long steps.',
  });
}

function meshGroup(o: Options, links: Link[], bell: Bell): Group {
  const others = links.filter(Boolean);
  let failure: Error | null = null;
  const fail = (e: Error): Error => {
    failure ??= e;
    // Closing every connection tells the other ranks at once, instead of at their timeout.
    for (const l of others) l.socket.destroy();
    return failure;
  };
  const check = () => {
    if (failure) throw failure;
    for (const l of others) if (l.frames.length === 0 && l.lost) throw fail(lostError(`rank ${l.rank} ${l.lost}`));
  };
  const inv = 1 / o.worldSize;

  /** Sends `bytes` to every other rank and returns each one's next frame (checked), by rank. */
  const exchange = async (type: typeof FRAME.data | typeof FRAME.gather, bytes: Uint8Array, what: string, whileWaiting?: () => void): Promise<Array<Frame | undefined>> => {
    check();
    // One copy into the outgoing frame: the caller's array may change before the kernel has taken the bytes.
    const frame = encodeFrame(type, bytes);
    for (const l of others) l.socket.write(frame);
    whileWaiting?.();
    await until(bell, () => others.every((l) => l.frames.length > 0), check, Date.now() + o.timeoutMs,
      () => fail(rankTimeout(o, others.filter((l) => l.frames.length === 0).map((l) => l.rank))));
    const got = links.map((l) => l?.frames.shift());
    for (const l of others) {
      const f = got[l.rank]!;
      if (f.type !== type) throw fail(new CaplabError('protocol', `Rank ${o.rank} expected ${what} from rank ${l.rank}, got frame ${f.type}.`));
      if (f.body.byteLength !== bytes.byteLength) {
        throw fail(new CaplabError('bad-config', `Rank ${l.rank} sent ${f.body.byteLength} bytes of ${what}, rank ${o.rank} has ${bytes.byteLength}.`, {
          hint: 'Every rank must build the same model config and run the same caplab version.',
        }));
      }
    }
    return got;
  };

  return {
    rank: o.rank,
    worldSize: o.worldSize,
    async allReduceMean(data, whileWaiting) {
      const got = await exchange(FRAME.data, new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 'gradients', whileWaiting);
      sumInRankOrder(o.rank, data, got.map((f) => f && new Float32Array(f.body.buffer, f.body.byteOffset, f.body.byteLength / 4)), inv);
      for (const l of others) l.recycle(got[l.rank]!);
    },
    async allGather(mine) {
      const got = await exchange(FRAME.gather, new Uint8Array(mine.buffer, mine.byteOffset, mine.byteLength), 'statistics');
      // Gather bodies are fresh buffers at offset 0 (only data frames are recycled), so 8-byte aligned.
      // (Array.from, not map: `got` has a hole at this rank's own index, which map would skip.)
      return Array.from(got, (f, r) => (r === o.rank ? mine : new Float64Array(f!.body.buffer, f!.body.byteOffset, mine.length)));
    },
    async close() {
      for (const l of others) l.socket.end();
    },
  };
}

/**
 * data := (x0 + x1 + … + x(k−1)) · inv, adding in rank order on every rank so every rank gets the
 * same float32 result. `received[r]` is rank r's buffer (undefined at this rank's own index) and
 * may be overwritten: rank 0 sums into `data` (its own x0), other ranks into rank 0's buffer.
 */
function sumInRankOrder(rank: number, data: Float32Array, received: Array<Float32Array | undefined>, inv: number): void {
  const n = data.length;
  const acc = rank === 0 ? data : received[0]!;
  for (let r = 1; r < received.length; r++) {
    const x = r === rank ? data : received[r]!;
    for (let i = 0; i < n; i++) acc[i] += x[i];
  }
  for (let i = 0; i < n; i++) data[i] = acc[i] * inv;
}
