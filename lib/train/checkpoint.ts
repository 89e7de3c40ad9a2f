/**
 * A training checkpoint: everything the next epoch depends on, so a run resumed from it ends with
 * the very model an uninterrupted run would have — weights, optimizer state, the epoch, where the
 * data stood, every random stream's state, the best epoch so far and the loss curve so far.
 *
 * One file, `checkpoint.ckpt`, replaced atomically (written beside it, fsynced, renamed): a
 * reader sees the last whole checkpoint or the one before, never half of one. Layout: a magic
 * line, one JSON header line (fields, and the offset, type and length of each array), then the
 * arrays' bytes (little-endian, 8-byte aligned); the header holds the sha256 of those bytes, so a
 * damaged file is refused rather than resumed from.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CaplabError } from '../errors.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import type { OptimizerState } from './optim.ts';
import type { EpochReport } from './types.ts';

export const CHECKPOINT_FILE = 'checkpoint.ckpt';
const MAGIC = 'caplab-checkpoint 1\n';

/** What a checkpoint belongs to; a resume refuses one whose identity differs from its own. */
export interface CheckpointIdentity {
  /** Hash of the model config (layers, optimizer, learning rate, batch size, seed, epochs…). */
  configHash: string;
  /** The dataset's checksum (contents, not path). */
  dataChecksum: string;
  /** Ranks that trained it: each rank's data share and random streams depend on it. */
  worldSize: number;
  /** Parameters in the model. */
  size: number;
}

export interface TrainCheckpoint {
  identity: CheckpointIdentity;
  /** Epochs completed: training resumes at epoch + 1. */
  epoch: number;
  /** Where the data stood: the start of epoch + 1, after this many optimizer steps and trained rows. */
  position: { steps: number; rows: number; trainSeconds: number };
  params: Float32Array;
  optimizer: OptimizerState;
  /** Each random stream's state, by rank: shuffle order, dropout masks (and shard order when streamed). */
  rng: { shuffle: number[]; dropout: number[]; shardOrder?: number[] };
  /** The best epoch by validation loss so far (0: none improved on the initial weights) and its weights. */
  best: { epoch: number; valLoss: number; params: Float32Array };
  /** The loss curve so far. */
  epochs: EpochReport[];
  /** When it was written. */
  createdAt: string;
}

interface Block {
  name: string;
  type: 'f32' | 'f64';
  offset: number;
  length: number;
}

interface Header extends Omit<TrainCheckpoint, 'params' | 'optimizer' | 'best'> {
  optimizer: Omit<OptimizerState, 'slots'>;
  best: { epoch: number; valLoss: number | null };
  blocks: Block[];
  sha256: string;
}

function arraysOf(c: TrainCheckpoint): Array<[string, Float32Array | Float64Array]> {
  return [['params', c.params], ['best', c.best.params], ...c.optimizer.slots.map((s, i): [string, Float64Array] => [`slot${i}`, s])];
}

/** The checkpoint as bytes (see the module comment for the layout). */
export function encodeCheckpoint(c: TrainCheckpoint): Uint8Array {
  const blocks: Block[] = [];
  let offset = 0;
  for (const [name, a] of arraysOf(c)) {
    blocks.push({ name, type: a instanceof Float64Array ? 'f64' : 'f32', offset, length: a.length });
    offset += Math.ceil(a.byteLength / 8) * 8;
  }
  const body = new Uint8Array(offset);
  for (const [i, [, a]] of arraysOf(c).entries()) body.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), blocks[i].offset);
  const { params: _p, optimizer, best, ...rest } = c;
  const header: Header = {
    ...rest,
    optimizer: { name: optimizer.name, steps: optimizer.steps },
    // JSON has no Infinity: a best loss of Infinity (nothing validated yet) travels as null.
    best: { epoch: best.epoch, valLoss: Number.isFinite(best.valLoss) ? best.valLoss : null },
    blocks,
    sha256: createHash('sha256').update(body).digest('hex'),
  };
  const head = Buffer.from(`${MAGIC}${JSON.stringify(header)}\n`);
  const pad = (8 - (head.length % 8)) % 8;
  return Buffer.concat([head.subarray(0, head.length - 1), Buffer.from(' '.repeat(pad) + '\n'), body]);
}

function damaged(where: string, what: string): CaplabError {
  return new CaplabError('bad-checkpoint', `The checkpoint ${where} is damaged: ${what}.`, {
    hint: 'Delete it to start the run from epoch 1, or resume from a copy you trust.',
  });
}

/** Reads bytes `encodeCheckpoint` made; throws 'bad-checkpoint' naming what is wrong. */
export function decodeCheckpoint(bytes: Uint8Array, where = 'checkpoint'): TrainCheckpoint {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.subarray(0, MAGIC.length).toString() !== MAGIC) throw damaged(where, 'it does not start like a caplab checkpoint (version 1)');
  const nl = buf.indexOf(10, MAGIC.length);
  if (nl < 0) throw damaged(where, 'its header never ends');
  let h: Header;
  try {
    h = JSON.parse(buf.subarray(MAGIC.length, nl).toString());
  } catch {
    throw damaged(where, 'its header is not JSON');
  }
  const body = buf.subarray(nl + 1);
  if (createHash('sha256').update(body).digest('hex') !== h.sha256) throw damaged(where, 'its arrays do not match their checksum (cut short or changed)');
  const aligned = new Uint8Array(body).buffer; // a copy at offset 0, so the typed arrays are aligned
  const arrays = new Map(h.blocks.map((b) => [b.name, b.type === 'f64' ? new Float64Array(aligned, b.offset, b.length) : new Float32Array(aligned, b.offset, b.length)]));
  const params = arrays.get('params');
  const best = arrays.get('best');
  if (!(params instanceof Float32Array) || !(best instanceof Float32Array)) throw damaged(where, 'it has no weights');
  const slots = h.blocks.filter((b) => b.name.startsWith('slot')).map((b) => arrays.get(b.name) as Float64Array);
  const { blocks: _b, sha256: _s, optimizer, best: bestHead, ...rest } = h;
  return {
    ...rest,
    params,
    optimizer: { ...optimizer, slots },
    best: { epoch: bestHead.epoch, valLoss: bestHead.valLoss ?? Infinity, params: best },
  };
}

/** Writes `<dir>/checkpoint.ckpt` atomically, replacing the previous one. */
export async function writeCheckpoint(dir: string, c: TrainCheckpoint): Promise<string> {
  const path = join(dir, CHECKPOINT_FILE);
  await writeFileAtomic(path, encodeCheckpoint(c));
  return path;
}

/** The checkpoint in `dir`, or null when there is none yet. */
export async function readCheckpoint(dir: string): Promise<TrainCheckpoint | null> {
  const path = join(dir, CHECKPOINT_FILE);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CaplabError('bad-checkpoint', `Cannot read the checkpoint ${path}: ${(e as Error).message}.`, { hint: 'Check the folder\'s permissions (rank 0 must read and write it).', cause: e });
  }
  return decodeCheckpoint(bytes, path);
}

/** Throws 'checkpoint-mismatch' when a checkpoint belongs to another run (other config, data or ranks). */
export function checkResumable(c: TrainCheckpoint, identity: CheckpointIdentity, where: string): void {
  const differs = (Object.keys(identity) as Array<keyof CheckpointIdentity>).filter((k) => c.identity[k] !== identity[k]);
  if (differs.length > 0) {
    const what = differs.map((k) => `${k} ${JSON.stringify(c.identity[k])} there, ${JSON.stringify(identity[k])} here`).join('; ');
    throw new CaplabError('checkpoint-mismatch', `The checkpoint in ${where} belongs to another run (${what}).`, {
      hint: 'Resume with the same config, data and ranks, or use another run id to start afresh.',
    });
  }
}
