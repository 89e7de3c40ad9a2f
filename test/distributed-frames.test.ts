import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { encodeFrame, FRAME, jsonOf, readFrames, type Frame } from '../lib/distributed/frames.ts';

/** A stand-in socket that delivers the given chunks as 'data' events. */
function feed(chunks: Buffer[], alloc?: Parameters<typeof readFrames>[2]): Frame[] {
  const socket = new EventEmitter() as unknown as Socket;
  const frames: Frame[] = [];
  readFrames(socket, (f) => frames.push(f), alloc);
  for (const c of chunks) socket.emit('data', c);
  return frames;
}

const stream = Buffer.concat([
  encodeFrame(FRAME.hello, Buffer.from(JSON.stringify({ rank: 1, worldSize: 2 }))),
  encodeFrame(FRAME.data, new Uint8Array(Float32Array.of(1.5, -2, 3e-8).buffer)),
  encodeFrame(FRAME.error, new Uint8Array(0)),
  encodeFrame(FRAME.data, new Uint8Array(Float32Array.of(7).buffer)),
]);

function check(frames: Frame[]): void {
  assert.deepEqual(frames.map((f) => f.type), [FRAME.hello, FRAME.data, FRAME.error, FRAME.data]);
  assert.deepEqual(jsonOf(frames[0]), { rank: 1, worldSize: 2 });
  assert.deepEqual(new Float32Array(frames[1].body.slice().buffer), Float32Array.of(1.5, -2, 3e-8));
  assert.equal(frames[2].body.byteLength, 0);
  assert.deepEqual(new Float32Array(frames[3].body.slice().buffer), Float32Array.of(7));
}

test('frames come out whole however the stream is cut: at once, byte by byte, and in uneven pieces', () => {
  check(feed([stream]));
  check(feed([...stream].map((b) => Buffer.of(b))));
  const pieces: Buffer[] = [];
  for (let at = 0, n = 1; at < stream.length; at += n, n = (n * 3) % 11 + 1) pieces.push(stream.subarray(at, at + n));
  check(feed(pieces));
});

test('frame bodies land in the buffers the reader is given, so data frames can reuse memory', () => {
  const target = new ArrayBuffer(12);
  const frames = feed([stream], (type, n) => (type === FRAME.data && n === 12 ? new Uint8Array(target) : new Uint8Array(n)));
  assert.equal(frames[1].body.buffer, target);
  assert.deepEqual(new Float32Array(target), Float32Array.of(1.5, -2, 3e-8));
});
