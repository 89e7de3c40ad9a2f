/**
 * NumPy `.npy` (format 1.0) reading and writing for float32 and int32 C-order arrays, so
 * datasets written here open in Python with `numpy.load`.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { CaplabError } from '../errors.ts';

export type NpyDtype = '<f4' | '<i4';
export type NpyArray = Float32Array | Int32Array;

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
/** Header size we always write: room for any 2-D shape, and a multiple of 64 as NumPy wants. */
const HEADER_BYTES = 128;

export interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  /** Byte offset where the data starts. */
  dataOffset: number;
}

/** The 128-byte header NumPy expects before the data of an array of `shape`. */
export function npyHeader(dtype: NpyDtype, shape: number[]): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const room = HEADER_BYTES - 10 - 1; // magic+version+len, trailing newline
  if (dict.length > room) throw new Error(`npy header too long for shape ${shapeText}`);
  dict = dict.padEnd(room, ' ') + '\n';
  const buf = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(buf, 0);
  buf[6] = 1;
  buf[7] = 0;
  buf.writeUInt16LE(HEADER_BYTES - 10, 8);
  buf.write(dict, 10, 'latin1');
  return buf;
}

export function parseNpyHeader(buf: Buffer, file: string): NpyHeader {
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) {
    throw new CaplabError('npy-invalid', `${file} is not a .npy file (bad magic bytes).`, {
      hint: 'Regenerate the dataset with `caplab data generate` or `caplab data import`.',
    });
  }
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  if (buf.length < start + headerLen) {
    throw new CaplabError('npy-truncated', `${file} is truncated inside its header.`, {
      hint: 'The file was cut short; regenerate the dataset.',
    });
  }
  const text = buf.subarray(start, start + headerLen).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(text)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr !== '<f4' && descr !== '<i4') {
    throw new CaplabError('npy-dtype', `${file} holds dtype ${descr}; caplab reads float32 (<f4) and int32 (<i4) only.`, {
      hint: 'Convert it in NumPy with arr.astype("float32") and save again.',
    });
  }
  if (fortran !== 'False') {
    throw new CaplabError('npy-order', `${file} is Fortran-ordered; caplab reads C order only.`, {
      hint: 'Save it with numpy.ascontiguousarray(arr).',
    });
  }
  const shape = (shapeText ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (shape.some((n) => !Number.isInteger(n) || n < 0)) {
    throw new CaplabError('npy-invalid', `${file} has an unreadable shape (${shapeText}).`);
  }
  return { dtype: descr, shape, dataOffset: start + headerLen };
}

function elementCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Opens a data file for reading; a missing or unreadable one is a CaplabError naming it, not a bare ENOENT. */
async function openForRead(path: string) {
  try {
    return await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CaplabError(code === 'ENOENT' ? 'shard-missing' : 'shard-unreadable', `Shard ${path} ${code === 'ENOENT' ? 'is missing' : `cannot be read (${code})`}.`, {
      hint: 'The dataset folder is incomplete or damaged: check it with `caplab data info`, and regenerate it.',
      cause: e,
    });
  }
}

/** Reads just the header of a `.npy` file and checks the file holds all the data it declares. */
export async function readNpyHeader(path: string): Promise<NpyHeader & { fileBytes: number }> {
  const fh = await openForRead(path);
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(Math.min(size, 4096));
    await fh.read(head, 0, head.length, 0);
    const header = parseNpyHeader(head, path);
    const want = header.dataOffset + elementCount(header.shape) * 4;
    if (size < want) {
      throw new CaplabError(
        'npy-truncated',
        `${path} is truncated: its header declares shape (${header.shape.join(', ')}) = ${want} bytes but the file has ${size}.`,
        { hint: 'The write was interrupted or the file was damaged; regenerate the dataset.' },
      );
    }
    return { ...header, fileBytes: size };
  } finally {
    await fh.close();
  }
}

/**
 * Reads a `.npy` file's data straight into `target` starting at element `offset`, without an
 * intermediate copy: this is how a dataset lives in memory only once.
 */
export async function readNpyInto(path: string, target: NpyArray, offset = 0): Promise<NpyHeader> {
  const header = await readNpyHeader(path);
  const expected = target instanceof Float32Array ? '<f4' : '<i4';
  if (header.dtype !== expected) {
    throw new CaplabError('npy-dtype', `${path} holds ${header.dtype}, expected ${expected}.`);
  }
  const n = elementCount(header.shape);
  if (offset + n > target.length) {
    throw new CaplabError('npy-size', `${path} holds ${n} values, more than the ${target.length - offset} left in the target.`);
  }
  const fh = await openForRead(path);
  try {
    const bytes = new Uint8Array(target.buffer, target.byteOffset + offset * 4, n * 4);
    let done = 0;
    while (done < bytes.length) {
      const { bytesRead } = await fh.read(bytes, done, bytes.length - done, header.dataOffset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    if (done !== bytes.length) {
      throw new CaplabError('npy-truncated', `${path} ended after ${done} of ${bytes.length} data bytes.`, {
        hint: 'Regenerate the dataset.',
      });
    }
  } finally {
    await fh.close();
  }
  return header;
}

/** Reads a whole `.npy` file into a new typed array. */
export async function readNpy(path: string): Promise<{ shape: number[]; data: NpyArray }> {
  const header = await readNpyHeader(path);
  const n = elementCount(header.shape);
  const data = header.dtype === '<f4' ? new Float32Array(n) : new Int32Array(n);
  await readNpyInto(path, data, 0);
  return { shape: header.shape, data };
}

/**
 * Streams rows into a `.npy` file whose row count is not known up front: the header is
 * rewritten with the final shape on `close()`.
 */
export class NpyWriter {
  readonly path: string;
  readonly dtype: NpyDtype;
  readonly columns: number | null;
  private fh: FileHandle | null = null;
  private rows = 0;
  private position = HEADER_BYTES;

  private constructor(path: string, dtype: NpyDtype, columns: number | null) {
    this.path = path;
    this.dtype = dtype;
    this.columns = columns;
  }

  /** `columns` null writes a 1-D array (e.g. targets); a number writes rows × columns. */
  static async create(path: string, dtype: NpyDtype, columns: number | null): Promise<NpyWriter> {
    const w = new NpyWriter(path, dtype, columns);
    w.fh = await open(path, 'w');
    await w.fh.write(npyHeader(dtype, columns === null ? [0] : [0, columns]), 0, HEADER_BYTES, 0);
    return w;
  }

  /** Appends whole rows; `values.length` must be a multiple of the column count. */
  async append(values: NpyArray): Promise<void> {
    if (!this.fh) throw new Error(`NpyWriter for ${this.path} is closed`);
    const width = this.columns ?? 1;
    if (values.length % width !== 0) throw new Error(`append: ${values.length} values is not whole rows of ${width}`);
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    await this.fh.write(bytes, 0, bytes.length, this.position);
    this.position += bytes.length;
    this.rows += values.length / width;
  }

  /** Writes the final header, fsyncs, closes; returns rows, bytes and the sha256 of the whole file. */
  async close(): Promise<{ rows: number; bytes: number; sha256: string }> {
    if (!this.fh) throw new Error(`NpyWriter for ${this.path} is closed`);
    const header = npyHeader(this.dtype, this.columns === null ? [this.rows] : [this.rows, this.columns]);
    await this.fh.write(header, 0, HEADER_BYTES, 0);
    await this.fh.sync();
    await this.fh.close();
    this.fh = null;
    // The header changes on close, so hash the file as it now is on disk (from the page
    // cache): the sum then matches `sha256sum` of the file.
    return { rows: this.rows, bytes: this.position, sha256: await sha256File(this.path) };
  }
}

/** sha256 of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const fh = await openForRead(path);
  try {
    const hash = createHash('sha256');
    for await (const chunk of fh.createReadStream()) hash.update(chunk as Buffer);
    return hash.digest('hex');
  } finally {
    await fh.close();
  }
}

/** Bytes of a `.npy` file before its data: data views into an `NpyBuffer` start here. */
export const NPY_HEADER_BYTES = HEADER_BYTES;

/**
 * A whole `.npy` file in memory, header already written: fill `data`, then `writeNpyBuffer`.
 * Building shards this way needs one write and no second read to hash them.
 */
export interface NpyBuffer<T extends NpyArray = NpyArray> {
  bytes: Uint8Array;
  data: T;
  shape: number[];
}

export function allocNpy(dtype: '<f4', shape: number[]): NpyBuffer<Float32Array>;
export function allocNpy(dtype: '<i4', shape: number[]): NpyBuffer<Int32Array>;
export function allocNpy(dtype: NpyDtype, shape: number[]): NpyBuffer {
  const n = elementCount(shape);
  const buffer = new ArrayBuffer(HEADER_BYTES + n * 4);
  const bytes = new Uint8Array(buffer);
  bytes.set(npyHeader(dtype, shape), 0);
  const data = dtype === '<f4' ? new Float32Array(buffer, HEADER_BYTES, n) : new Int32Array(buffer, HEADER_BYTES, n);
  return { bytes, data, shape };
}

/**
 * Writes a filled `NpyBuffer` to `path` and fsyncs it; the sha256 is computed from memory on
 * the thread pool while the write runs, so the caller's thread stays free.
 */
export async function writeNpyBuffer(path: string, buf: NpyBuffer): Promise<{ bytes: number; sha256: string }> {
  const digest = globalThis.crypto.subtle.digest('SHA-256', buf.bytes);
  const fh = await open(path, 'w');
  try {
    let done = 0;
    while (done < buf.bytes.length) {
      const { bytesWritten } = await fh.write(buf.bytes, done, buf.bytes.length - done, done);
      done += bytesWritten;
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  return { bytes: buf.bytes.length, sha256: Buffer.from(await digest).toString('hex') };
}

/** Writes a whole array as a `.npy` file in one go. */
export async function writeNpy(path: string, data: NpyArray, shape: number[]): Promise<{ bytes: number; sha256: string }> {
  if (elementCount(shape) !== data.length) throw new Error(`writeNpy: shape ${shape} does not match ${data.length} values`);
  const buf = data instanceof Float32Array ? allocNpy('<f4', shape) : allocNpy('<i4', shape);
  buf.data.set(data as never);
  return writeNpyBuffer(path, buf);
}
