/**
 * Length-prefixed binary frames over a TCP stream: [u32 LE body length + 1][u8 type][body].
 * Gradients travel as raw float32 bytes, never as JSON; handshakes are small JSON bodies.
 */
import type { Socket } from 'node:net';

export const FRAME = { hello: 1, welcome: 2, data: 3, result: 4, error: 5, peer: 6, gather: 7 } as const;
export type FrameType = (typeof FRAME)[keyof typeof FRAME];

export interface Frame {
  type: FrameType;
  body: Uint8Array;
}

/** One buffer holding a whole frame, so it goes out in one write (one syscall, usually one packet). */
export function encodeFrame(type: FrameType, body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + body.byteLength);
  out.writeUInt32LE(body.byteLength + 1, 0);
  out[4] = type;
  out.set(body, 5);
  return out;
}

export function sendFrame(socket: Socket, type: FrameType, body: Uint8Array): void {
  socket.write(encodeFrame(type, body));
}

export function sendJson(socket: Socket, type: FrameType, value: unknown): void {
  sendFrame(socket, type, Buffer.from(JSON.stringify(value)));
}

/** A handshake frame's JSON body, or null when it is not JSON (a stranger speaking another protocol). */
export function jsonOf<T>(frame: Frame): T | null {
  try {
    return JSON.parse(Buffer.from(frame.body.buffer, frame.body.byteOffset, frame.body.byteLength).toString()) as T;
  } catch {
    return null;
  }
}

/**
 * Calls `onFrame` for each whole frame read from `socket`, however the bytes arrive in chunks.
 * Each body is copied once, straight from the socket's chunks into memory from `alloc` (so data
 * frames can land in reused, float-aligned buffers); chunks are never concatenated. `alloc`
 * returns null to refuse a frame (e.g. a stranger announcing a huge body): the socket is destroyed.
 */
export function readFrames(socket: Socket, onFrame: (frame: Frame) => void, alloc: (type: FrameType, bytes: number) => Uint8Array | null = (_, n) => new Uint8Array(n)): void {
  const head = new Uint8Array(5);
  const headView = new DataView(head.buffer);
  let headGot = 0;
  let type = 0 as FrameType;
  let body: Uint8Array | null = null;
  let bodyGot = 0;
  socket.on('data', (chunk: Buffer) => {
    let at = 0;
    while (at < chunk.length) {
      if (body === null) {
        const n = Math.min(5 - headGot, chunk.length - at);
        head.set(chunk.subarray(at, at + n), headGot);
        headGot += n;
        at += n;
        if (headGot < 5) return;
        headGot = 0;
        const length = headView.getUint32(0, true) - 1;
        type = head[4] as FrameType;
        body = length < 0 ? null : alloc(type, length);
        if (body === null) {
          socket.destroy(new Error(`refused a frame of type ${type} and ${length} bytes`));
          return;
        }
        bodyGot = 0;
      }
      const n = Math.min(body.length - bodyGot, chunk.length - at);
      body.set(chunk.subarray(at, at + n), bodyGot);
      bodyGot += n;
      at += n;
      if (bodyGot === body.length) {
        const done: Frame = { type, body };
        body = null;
        onFrame(done);
      }
    }
  });
}
