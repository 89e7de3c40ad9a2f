/**
 * Matrix products for the MLP's training step in WebAssembly SIMD, generated here at load time
 * (a few hundred bytes; no toolchain, no binary in the repository).
 *
 * Why not tfjs's wasm matMul (measured on 2026-12-02, tfjs 4.22, Node 24): XNNPACK packs its
 * second operand on every call, and in a training step that operand is new every step — for the
 * weight gradients it is a whole batch of activations (1024 × 256 floats took ~3 ms to pack,
 * more than half the product itself). Transposed operands take a naive path 10-20× slower, so
 * the step also paid for explicit transposes (~2 ms each). These kernels read both operands where
 * they lie, A optionally transposed, with no packing: C = op(A)·B, every matrix row-major.
 *
 * Register tiles of 4 rows × 8 columns (eight f32x4 accumulators): per k, two vector loads of
 * B's row, four splatted elements of A, eight multiplies and eight adds. Multiply then add (no
 * fused multiply-add), so results are deterministic on every machine.
 */

/** Bytes of a growing wasm module. */
class Bytes {
  readonly out: number[] = [];
  u(v: number): this {
    // unsigned LEB128
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v !== 0) b |= 0x80;
      this.out.push(b);
    } while (v !== 0);
    return this;
  }
  s(v: number): this {
    // signed LEB128 (i32)
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
        this.out.push(b);
        return this;
      }
      this.out.push(b | 0x80);
    }
  }
  b(...bytes: number[]): this {
    this.out.push(...bytes);
    return this;
  }
  vec(items: number[][]): this {
    this.u(items.length);
    for (const i of items) this.out.push(...i);
    return this;
  }
  section(id: number, body: number[]): this {
    this.out.push(id);
    this.u(body.length);
    this.out.push(...body);
    return this;
  }
}

const I32 = 0x7f;
const V128 = 0x7b;
const op = {
  block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, brIf: 0x0d,
  get: 0x20, set: 0x21, tee: 0x22, i32const: 0x41,
  i32eqz: 0x45, i32ltu: 0x49, i32add: 0x6a, i32mul: 0x6c, i32shl: 0x74,
  simd: 0xfd,
} as const;
const simd = { load: 0x00, load32splat: 0x09, store: 0x0b, const: 0x0c, and: 0x4e, f32x4gt: 0x44, f32x4add: 0xe4, f32x4mul: 0xe6, f32x4max: 0xe9 } as const;

/** Instruction emitter for one function body. */
class Code extends Bytes {
  get(l: number) { return this.b(op.get).u(l); }
  set(l: number) { return this.b(op.set).u(l); }
  tee(l: number) { return this.b(op.tee).u(l); }
  i32(v: number) { return this.b(op.i32const).s(v); }
  add() { return this.b(op.i32add); }
  mul() { return this.b(op.i32mul); }
  v(o: number) { return this.b(op.simd).u(o); }
  vload(offset: number) { return this.v(simd.load).u(4).u(offset); }
  vsplat(offset: number) { return this.v(simd.load32splat).u(2).u(offset); }
  vstore(offset: number) { return this.v(simd.store).u(4).u(offset); }
  vzero() { this.v(simd.const); for (let i = 0; i < 16; i++) this.out.push(0); return this; }
  /** local l += value of the emitted expression */
  inc(l: number, expr: (c: this) => void) { this.get(l); expr(this); return this.add().set(l); }
}

/** Parameters of every kernel, in order. Byte strides; a, b, c are byte addresses. */
const P = { a: 0, lda: 1, b: 2, ldb: 3, c: 4, ldc: 5, rows: 6, cols: 7, k: 8, acc: 9 } as const;

/**
 * One kernel: C[rows × cols] (=, or += when acc ≠ 0) op(A)·B over `k`, in tiles of mr × nr
 * (nr 8 or 4; rows a multiple of mr, cols a multiple of nr). A[i][p] is at a + i·lda + 4p, or
 * with transA at a + p·lda + 4i.
 */
function kernel(mr: number, nr: number, transA: boolean): number[] {
  const nv = nr / 4;
  // locals after the 10 params: i32 i, j, p, pb, pc, pa[mr]; v128 acc[mr·nv], bv[nv], s
  const L = { i: 10, j: 11, p: 12, pb: 13, pc: 14, pa: 15 };
  const nI32 = 5 + mr;
  const acc = (r: number, v: number) => 10 + nI32 + r * nv + v;
  const bv = (v: number) => 10 + nI32 + mr * nv + v;
  const s = 10 + nI32 + mr * nv + nv;
  const c = new Code();
  c.vec([[nI32, I32], [mr * nv + nv + 1, V128]].map(([n, t]) => [...new Bytes().u(n).out, t]));
  // Rows outer: A's rows (or columns) for a row tile stay in L1 while B's column tiles stream from L2.
  const [outer, outerEnd, outerStep, inner, innerEnd, innerStep] = [L.i, P.rows, mr, L.j, P.cols, nr];
  c.i32(0).set(outer);
  c.b(op.block, 0x40, op.loop, 0x40);
  c.get(outer).get(outerEnd).b(op.i32ltu, op.i32eqz).b(op.brIf).u(1);
  c.i32(0).set(inner);
  c.b(op.block, 0x40, op.loop, 0x40);
  c.get(inner).get(innerEnd).b(op.i32ltu, op.i32eqz).b(op.brIf).u(1);
  // pc = c + i·ldc + 4j
  c.get(P.c).get(L.i).get(P.ldc).mul().add().get(L.j).i32(2).b(op.i32shl).add().set(L.pc);
  // accumulators: C's tile or zero
  c.get(P.acc).b(op.if, 0x40);
  for (let r = 0; r < mr; r++) for (let v = 0; v < nv; v++) {
    c.get(L.pc);
    if (r > 0) c.get(P.ldc).i32(r).mul().add();
    c.vload(16 * v).set(acc(r, v));
  }
  c.b(op.else);
  for (let r = 0; r < mr; r++) for (let v = 0; v < nv; v++) c.vzero().set(acc(r, v));
  c.b(op.end);
  // pb = b + 4j; pa: A's element (i + r, 0)
  c.get(P.b).get(L.j).i32(2).b(op.i32shl).add().set(L.pb);
  if (transA) {
    c.get(P.a).get(L.i).i32(2).b(op.i32shl).add().set(L.pa);
  } else {
    c.get(P.a).get(L.i).get(P.lda).mul().add().set(L.pa);
    for (let r = 1; r < mr; r++) c.get(L.pa + r - 1).get(P.lda).add().set(L.pa + r);
  }
  // for (p = 0; p < k; p++)
  c.i32(0).set(L.p);
  c.b(op.block, 0x40, op.loop, 0x40);
  c.get(L.p).get(P.k).b(op.i32ltu, op.i32eqz).b(op.brIf).u(1);
  for (let v = 0; v < nv; v++) c.get(L.pb).vload(16 * v).set(bv(v));
  for (let r = 0; r < mr; r++) {
    if (transA) c.get(L.pa).vsplat(4 * r).set(s);
    else c.get(L.pa + r).vsplat(0).set(s);
    for (let v = 0; v < nv; v++) c.get(acc(r, v)).get(s).get(bv(v)).v(simd.f32x4mul).v(simd.f32x4add).set(acc(r, v));
  }
  c.inc(L.pb, (x) => x.get(P.ldb));
  if (transA) c.inc(L.pa, (x) => x.get(P.lda));
  else for (let r = 0; r < mr; r++) c.inc(L.pa + r, (x) => x.i32(4));
  c.inc(L.p, (x) => x.i32(1));
  c.b(op.br).u(0).b(op.end, op.end);
  // store the tile
  for (let r = 0; r < mr; r++) for (let v = 0; v < nv; v++) {
    c.get(L.pc);
    if (r > 0) c.get(P.ldc).i32(r).mul().add();
    c.get(acc(r, v)).vstore(16 * v);
  }
  c.inc(inner, (x) => x.i32(innerStep));
  c.b(op.br).u(0).b(op.end, op.end);
  c.inc(outer, (x) => x.i32(outerStep));
  c.b(op.br).u(0).b(op.end, op.end);
  c.b(op.end);
  return [...new Bytes().u(c.out.length).out, ...c.out];
}

/**
 * bias(p, rows, cols, ld, b): each row of the rows × cols matrix at p (row stride ld bytes) gets
 * the row vector at b added, then max(·, 0) when `relu`. cols a multiple of 4.
 */
function biasKernel(relu: boolean): number[] {
  const [p, rows, cols, ld, b] = [0, 1, 2, 3, 4];
  const [r, j, row] = [5, 6, 7];
  const c = new Code();
  c.vec([[3, I32]].map(([n, t]) => [n, t]));
  c.i32(0).set(r).get(p).set(row);
  c.b(op.block, 0x40, op.loop, 0x40);
  c.get(r).get(rows).b(op.i32ltu, op.i32eqz).b(op.brIf).u(1);
  c.i32(0).set(j);
  c.b(op.block, 0x40, op.loop, 0x40);
  c.get(j).get(cols).b(op.i32ltu, op.i32eqz).b(op.brIf).u(1);
  // row[j] = row[j] + b[j] (, max 0)
  c.get(row).get(j).i32(2).b(op.i32shl).add();
  c.get(row).get(j).i32(2).b(op.i32shl).add().vload(0);
  c.get(b).get(j).i32(2).b(op.i32shl).add().vload(0);
  c.v(simd.f32x4add);
  if (relu) c.vzero().v(simd.f32x4max);
  c.vstore(0);
  c.inc(j, (x) => x.i32(4));
  c.b(op.br).u(0).b(op.end, op.end);
  c.inc(row, (x) => x.get(ld));
  c.inc(r, (x) => x.i32(1));
  c.b(op.br).u(0).b(op.end, op.end);
  c.b(op.end);
  return [...new Bytes().u(c.out.length).out, ...c.out];
}

/** reluGrad(d, p, count): d[i] = p[i] > 0 ? d[i] : 0 over `count` floats (a multiple of 4). */
function reluGradKernel(): number[] {
  const [d, p, count] = [0, 1, 2];
  const i = 3;
  const c = new Code();
  c.vec([[1, I32]]);
  c.i32(0).set(i);
  c.b(op.block, 0x40, op.loop, 0x40);
  c.get(i).get(count).b(op.i32ltu, op.i32eqz).b(op.brIf).u(1);
  c.get(d).get(i).i32(2).b(op.i32shl).add();
  c.get(d).get(i).i32(2).b(op.i32shl).add().vload(0);
  c.get(p).get(i).i32(2).b(op.i32shl).add().vload(0).vzero().v(simd.f32x4gt);
  c.v(simd.and).vstore(0);
  c.inc(i, (x) => x.i32(4));
  c.b(op.br).u(0).b(op.end, op.end);
  c.b(op.end);
  return [...new Bytes().u(c.out.length).out, ...c.out];
}

const SHAPES = [[4, 8], [4, 4], [1, 8], [1, 4]] as const;

function moduleBytes(): Uint8Array {
  const m = new Bytes().b(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
  const fnType = (params: number) => [0x60, ...new Bytes().vec(Array.from({ length: params }, () => [I32])).out, 0x00];
  m.section(1, new Bytes().vec([fnType(10), fnType(5), fnType(3)]).out);
  const name = (s: string) => [...new Bytes().u(s.length).out, ...Buffer.from(s)];
  m.section(2, new Bytes().vec([[...name('env'), ...name('mem'), 0x02, 0x00, 0x01]]).out);
  const fns: Array<{ name: string; type: number; body: number[] }> = [];
  for (const transA of [false, true]) for (const [mr, nr] of SHAPES) fns.push({ name: `g${mr}x${nr}${transA ? 't' : ''}`, type: 0, body: kernel(mr, nr, transA) });
  fns.push({ name: 'bias', type: 1, body: biasKernel(false) }, { name: 'biasRelu', type: 1, body: biasKernel(true) }, { name: 'reluGrad', type: 2, body: reluGradKernel() });
  m.section(3, new Bytes().vec(fns.map((f) => [f.type])).out);
  m.section(7, new Bytes().vec(fns.map((f, i) => [...name(f.name), 0x00, ...new Bytes().u(i).out])).out);
  m.section(10, new Bytes().vec(fns.map((f) => f.body)).out);
  return Uint8Array.from(m.out);
}

/** The part of the WebAssembly API used here (the project's type libraries do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (d: { initial: number }) => WasmMemory;
  Instance: new (m: object, imports: object) => { exports: object };
}
const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Rows of k per kernel call when A is transposed (see Gemm.mul). */
const K_CHUNK = 128;

type KernelFn = (a: number, lda: number, b: number, ldb: number, c: number, ldc: number, rows: number, cols: number, k: number, acc: number) => void;

let compiled: object | undefined;

/** A matrix in the kernels' memory: `rows × cols` floats, row-major, at float index `at`. */
export interface Mat {
  at: number;
  rows: number;
  cols: number;
}

/**
 * The kernels over one wasm memory that grows as matrices are allocated. Views (f32) are
 * refreshed after every allocation; allocate everything before taking `f32`.
 */
export class Gemm {
  private readonly memory: WasmMemory;
  private readonly k: Record<string, KernelFn>;
  private top = 0;
  f32: Float32Array;

  constructor() {
    compiled ??= new Wasm.Module(moduleBytes());
    this.memory = new Wasm.Memory({ initial: 1 });
    this.k = new Wasm.Instance(compiled, { env: { mem: this.memory } }).exports as Record<string, KernelFn>;
    this.f32 = new Float32Array(this.memory.buffer);
  }

  /** A new rows × cols matrix (16-byte aligned, contents unspecified). */
  alloc(rows: number, cols: number): Mat {
    const at = this.top;
    this.top += (rows * cols + 3) & ~3;
    const need = this.top * 4;
    if (need > this.memory.buffer.byteLength) this.memory.grow(Math.ceil((need - this.memory.buffer.byteLength) / 65536));
    this.f32 = new Float32Array(this.memory.buffer);
    return { at, rows, cols };
  }

  /**
   * C (=, or += when `accumulate`) op(A)·B for the first `m` rows of op(A) and C: op(A) is A, or
   * Aᵀ when `transA` (then A is k × m). Inner dimension `k`; B is k × C.cols.
   */
  mul(c: Mat, a: Mat, b: Mat, m: number, k: number, transA: boolean, accumulate = false): void {
    // With A transposed, k runs down both operands' columns (a cache line per k): in chunks of
    // K_CHUNK rows both operands' tiles stay in L1 (measured: ~10 → ~13 GMAC/s at 256 × 1024 × 256).
    const kc = K_CHUNK;
    if (transA && k > kc) {
      for (let p = 0; p < k; p += kc) {
        const a2 = { ...a, at: a.at + (transA ? p * a.cols : p) };
        const b2 = { ...b, at: b.at + p * b.cols };
        this.mul1(c, a2, b2, m, Math.min(kc, k - p), transA, accumulate || p > 0);
      }
      return;
    }
    this.mul1(c, a, b, m, k, transA, accumulate);
  }

  private mul1(c: Mat, a: Mat, b: Mat, m: number, k: number, transA: boolean, accumulate: boolean): void {
    const n = c.cols;
    const t = transA ? 't' : '';
    const lda = a.cols * 4;
    const ldb = b.cols * 4;
    const ldc = n * 4;
    const acc = accumulate ? 1 : 0;
    const m4 = m & ~3;
    const n8 = n & ~7;
    const n4 = n & ~3;
    // A's element (i, 0), in bytes
    const aRow = (i: number) => a.at * 4 + (transA ? i * 4 : i * lda);
    if (m4 > 0 && n8 > 0) this.k[`g4x8${t}`](aRow(0), lda, b.at * 4, ldb, c.at * 4, ldc, m4, n8, k, acc);
    if (m4 > 0 && n4 > n8) this.k[`g4x4${t}`](aRow(0), lda, b.at * 4 + n8 * 4, ldb, c.at * 4 + n8 * 4, ldc, m4, 4, k, acc);
    if (m > m4) {
      if (n8 > 0) this.k[`g1x8${t}`](aRow(m4), lda, b.at * 4, ldb, c.at * 4 + m4 * ldc, ldc, m - m4, n8, k, acc);
      if (n4 > n8) this.k[`g1x4${t}`](aRow(m4), lda, b.at * 4 + n8 * 4, ldb, c.at * 4 + m4 * ldc + n8 * 4, ldc, m - m4, 4, k, acc);
    }
    if (n > n4) this.columns(c, a, b, m, k, transA, accumulate, n4);
  }

  /** m += bias (a row vector, added to every row), then max(·, 0) when `relu`: the first `rows` rows. */
  bias(m: Mat, rows: number, bias: number, relu: boolean): void {
    const n4 = m.cols & ~3;
    if (n4 > 0) (this.k[relu ? 'biasRelu' : 'bias'] as unknown as (p: number, r: number, c: number, ld: number, b: number) => void)(m.at * 4, rows, n4, m.cols * 4, bias * 4);
    const f = this.f32;
    for (let r = 0; r < rows; r++) {
      for (let j = n4; j < m.cols; j++) {
        const i = m.at + r * m.cols + j;
        const z = f[i] + f[bias + j];
        f[i] = relu ? (z > 0 ? z : 0) : z;
      }
    }
  }

  /** d[i] = post[i] > 0 ? d[i] : 0 for `count` floats (relu's derivative applied). */
  reluGrad(d: number, post: number, count: number): void {
    const n4 = count & ~3;
    if (n4 > 0) (this.k.reluGrad as unknown as (d: number, p: number, c: number) => void)(d * 4, post * 4, n4);
    const f = this.f32;
    for (let i = n4; i < count; i++) if (!(f[post + i] > 0)) f[d + i] = 0;
  }

  /** The last n mod 4 columns, in plain JS (the one-unit output layer's products land here). */
  private columns(c: Mat, a: Mat, b: Mat, m: number, k: number, transA: boolean, accumulate: boolean, from: number): void {
    const f = this.f32;
    const n = c.cols;
    const lda = a.cols;
    const ldb = b.cols;
    for (let i = 0; i < m; i++) {
      for (let j = from; j < n; j++) {
        let sum = 0;
        if (transA) for (let p = 0; p < k; p++) sum += f[a.at + p * lda + i] * f[b.at + p * ldb + j];
        else for (let p = 0, ai = a.at + i * lda; p < k; p++) sum += f[ai + p] * f[b.at + p * ldb + j];
        const ci = c.at + i * n + j;
        f[ci] = accumulate ? f[ci] + sum : sum;
      }
    }
  }
}
