import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import { joinGroup, type Group } from '../lib/distributed/index.ts';
import { freePort } from '../lib/distributed/local.ts';
import { FRAME, sendJson } from '../lib/distributed/frames.ts';
import { isCaplabError } from '../lib/errors.ts';

async function group(worldSize: number, timeoutMs = 5000): Promise<Group[]> {
  const port = await freePort();
  return Promise.all(Array.from({ length: worldSize }, (_, rank) => joinGroup({ rank, worldSize, host: '127.0.0.1', port, timeoutMs })));
}

test('all-reduce leaves every rank with the same mean, step after step', async () => {
  const ranks = await group(3);
  try {
    for (let step = 0; step < 3; step++) {
      const bufs = ranks.map((g) => Float32Array.from({ length: 1000 }, (_, i) => (g.rank + 1) * i + step));
      await Promise.all(ranks.map((g, r) => g.allReduceMean(bufs[r])));
      for (let i = 0; i < 1000; i += 97) assert.ok(Math.abs(bufs[0][i] - (2 * i + step)) < 1e-3 * (1 + i));
      assert.deepEqual(bufs[1], bufs[0]);
      assert.deepEqual(bufs[2], bufs[0]);
    }
  } finally {
    await Promise.all(ranks.map((g) => g.close()));
  }
});

test('all-gather hands every rank every rank\'s float64 values exactly, by rank, interleaved with all-reduces', async () => {
  const ranks = await group(3);
  try {
    const mine = (r: number) => Float64Array.of(r, 0.1 * (r + 1), 1e300 / (r + 3), Number.MIN_VALUE * r);
    const grads = ranks.map((g) => Float32Array.of(g.rank, 1));
    const [got] = await Promise.all(ranks.map(async (g) => {
      await g.allReduceMean(grads[g.rank]);
      const all = await g.allGather(mine(g.rank));
      await g.allReduceMean(grads[g.rank]);
      return all;
    }));
    assert.deepEqual(got.map((v) => [...v]), [0, 1, 2].map((r) => [...mine(r)]));
    assert.deepEqual([...grads[2]], [1, 1]);
  } finally {
    await Promise.all(ranks.map((g) => g.close()));
  }
});

test('a group of one rank needs no network and leaves data as it is', async () => {
  const [g] = await group(1);
  const data = Float32Array.of(1, 2, 3);
  await g.allReduceMean(data);
  assert.deepEqual([...data], [1, 2, 3]);
});

test('a rank that disconnects mid-training fails the others with a clear error', async () => {
  const [r0, r1, r2] = await group(3);
  await r2.close();
  await assert.rejects(r0.allReduceMean(new Float32Array(4)), (e) => isCaplabError(e, 'rank-lost') && /rank 2/.test(e.message));
  await assert.rejects(r1.allReduceMean(new Float32Array(4)), (e) => isCaplabError(e, 'rank-lost'));
  await r0.close();
});

test('a rank that cannot reach rank 0 gives up at the timeout and says where it looked', async () => {
  const port = await freePort();
  await assert.rejects(joinGroup({ rank: 1, worldSize: 2, host: '127.0.0.1', port, timeoutMs: 300 }), (e) => isCaplabError(e, 'rendezvous-timeout') && e.message.includes(`127.0.0.1:${port}`));
});

test('ranks outside the group are refused, and bad ranks are rejected up front', async () => {
  await assert.rejects(joinGroup({ rank: 2, worldSize: 2, host: 'x', port: 1 }), (e) => isCaplabError(e, 'bad-config'));
  const port = await freePort();
  const leader = joinGroup({ rank: 0, worldSize: 2, host: '127.0.0.1', port, timeoutMs: 500 });
  const stranger = joinGroup({ rank: 1, worldSize: 3, host: '127.0.0.1', port, timeoutMs: 2000 });
  await assert.rejects(stranger, (e) => isCaplabError(e, 'rendezvous-refused'));
  await assert.rejects(leader, (e) => isCaplabError(e, 'rendezvous-timeout'));
});

test('a rank whose rank 0 goes silent gives up at the timeout instead of hanging', async () => {
  const port = await freePort();
  // A rank 0 stand-in that welcomes the rank and then never answers.
  const silent = createServer((socket) => socket.once('data', () => sendJson(socket, FRAME.welcome, { worldSize: 2 })));
  await new Promise<void>((r) => silent.listen(port, '127.0.0.1', () => r()));
  try {
    const g = await joinGroup({ rank: 1, worldSize: 2, host: '127.0.0.1', port, timeoutMs: 300 });
    await assert.rejects(g.allReduceMean(new Float32Array(2)), (e) => isCaplabError(e, 'rank-timeout'));
    await g.close();
  } finally {
    silent.close();
  }
});

test('four ranks, each pair connected directly, sum in rank order: every rank gets the same float32 bits', async () => {
  const ranks = await group(4);
  try {
    // 300 000 values (1.2 MB) arrive in many socket chunks; the values are chosen so that the
    // order of float32 additions changes the result, and only rank order gives `expected`.
    const n = 300_000;
    // Ranks 0 and 2 hold ±1e8 (float32 spacing 8 there), ranks 1 and 3 small values.
    const bufs = ranks.map((g) => Float32Array.from({ length: n }, (_, i) => (g.rank % 2 === 0 ? (g.rank === 0 ? 1 : -1) * 1e8 * (1 + (i % 5)) : ((i * 7919 + g.rank) % 1000) / 300)));
    const expected = Float32Array.from(bufs[0]);
    for (let r = 1; r < 4; r++) for (let i = 0; i < n; i++) expected[i] += bufs[r][i];
    for (let i = 0; i < n; i++) expected[i] *= 1 / 4;
    const reversed = Float32Array.from(bufs[3]);
    for (let r = 2; r >= 0; r--) for (let i = 0; i < n; i++) reversed[i] += bufs[r][i];
    for (let i = 0; i < n; i++) reversed[i] *= 1 / 4;
    assert.notDeepEqual(reversed, expected, 'the data must tell summation orders apart');
    for (let step = 0; step < 3; step++) {
      const mine = bufs.map((b) => Float32Array.from(b));
      await Promise.all(ranks.map((g, r) => g.allReduceMean(mine[r])));
      for (const m of mine) assert.deepEqual(m, expected);
    }
  } finally {
    await Promise.all(ranks.map((g) => g.close()));
  }
});

test('something else knocking on rank 0\'s port is turned away, and the group still forms', async () => {
  const port = await freePort();
  const leader = joinGroup({ rank: 0, worldSize: 2, host: '127.0.0.1', port, timeoutMs: 5000 });
  // An HTTP request reads as a frame of ~540 MB; a small frame that is not JSON is no hello either.
  const knock = (bytes: Buffer) => new Promise<void>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => s.write(bytes));
    s.resume();
    s.on('close', () => resolve());
    s.on('error', () => resolve());
    setTimeout(() => reject(new Error('rank 0 kept a stranger\'s connection open')), 4000).unref();
  });
  await waitForPort(port);
  await knock(Buffer.from('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'));
  await knock(Buffer.concat([Buffer.from([5, 0, 0, 0, 1]), Buffer.from('nope')]));
  const follower = joinGroup({ rank: 1, worldSize: 2, host: '127.0.0.1', port, timeoutMs: 5000 });
  const [g0, g1] = await Promise.all([leader, follower]);
  const a = Float32Array.of(1, 2);
  const b = Float32Array.of(3, 4);
  await Promise.all([g0.allReduceMean(a), g1.allReduceMean(b)]);
  assert.deepEqual([...a], [2, 3]);
  assert.deepEqual(b, a);
  await Promise.all([g0.close(), g1.close()]);
});

/** Resolves once something listens on `port` (rank 0 starts listening asynchronously). */
async function waitForPort(port: number): Promise<void> {
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setImmediate(r));
  }
}
