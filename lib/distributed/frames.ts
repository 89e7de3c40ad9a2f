/**
 * Length-prefixed binary frames over a TCP stream: [u32 LE body length][u8 type][body].
 * Gradients travel as raw float32 bytes, never as JSON.
 */
import type { Socket } from 'node:net';

export const FRAME = { hello: 1, welcome: 2, data: 3, result: 4, error: 5 } as const;
export type FrameType = (typeof FRAME)[keyof typeof FRAME];

export interface Frame {
  type: FrameType;
  body: Buffer;
}

export function encodeFrame(type: FrameType, body: Uint8Array): Buffer[] {
  const head = Buffer.alloc(5);
  head.writeUInt32LE(body.byteLength + 1, 0);
  head[4] = type;
  return [head, Buffer.from(body.buffer, body.byteOffset, body.byteLength)];
}

export function sendFrame(socket: Socket, type: FrameType, body: Uint8Array): void {
  for (const part of encodeFrame(type, body)) socket.write(part);
}

export function sendJson(socket: Socket, type: FrameType, value: unknown): void {
  sendFrame(socket, type, Buffer.from(JSON.stringify(value)));
}

/** Calls `onFrame` for each whole frame read from `socket`, however the bytes arrive in chunks. */
export function readFrames(socket: Socket, onFrame: (frame: Frame) => void): void {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  socket.on('data', (chunk: Buffer) => {
    pending.push(chunk);
    pendingBytes += chunk.length;
    for (;;) {
      if (pendingBytes < 4) return;
      let buf = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
      const len = buf.readUInt32LE(0);
      if (pendingBytes < 4 + len) {
        pending = [buf];
        return;
      }
      const frame = { type: buf[4] as FrameType, body: buf.subarray(5, 4 + len) };
      buf = buf.subarray(4 + len);
      pending = buf.length ? [buf] : [];
      pendingBytes = buf.length;
      onFrame(frame);
    }
  });
}

/** A Float32Array view of a frame body, copied only when the bytes are misaligned. */
export function floatsOf(body: Buffer): Float32Array {
  if (body.byteOffset % 4 === 0) return new Float32Array(body.buffer, body.byteOffset, body.byteLength / 4);
  return new Float32Array(Uint8Array.from(body).buffer);
}
