/**
 * Out-of-memory in its four shapes, told apart. A Node.js process runs out of memory in
 * different ways depending on which allocator gave up:
 * - `alloc`: an ArrayBuffer/typed array could not be allocated (`RangeError: Array buffer
 *   allocation failed`): the process survives it, so the probe child catches it and exits with
 *   `EXIT_OUT_OF_MEMORY` and a marker line on stderr.
 * - `heap`: the V8 JS heap hit its limit (`--max-old-space-size`): V8 prints "JavaScript heap
 *   out of memory" and aborts (SIGABRT). Nothing in the process can catch it.
 * - `wasm`: the wasm32 memory of the tfjs wasm backend cannot grow (4 GiB at most).
 * - `killed`: the kernel's OOM killer (or a cgroup limit) sent SIGKILL.
 */
import { writeSync } from 'node:fs';

export type OomKind = 'alloc' | 'heap' | 'wasm' | 'killed';

/** Exit code of a probe child that caught an allocation failure (sysexits' EX_OSERR). */
export const EXIT_OUT_OF_MEMORY = 71;

/** Prefix of the stderr line a child writes before exiting with `EXIT_OUT_OF_MEMORY`. */
export const OOM_MARKER = 'caplab-out-of-memory';

/** The wasm32 address space the tfjs wasm backend's memory can grow to. */
export const WASM_MEMORY_LIMIT_BYTES = 4 * 1024 ** 3;

const HEAP_TEXT = /JavaScript heap out of memory|Reached heap limit|Ineffective mark-compacts near heap limit/;
const ALLOC_TEXT = /Array buffer allocation failed|Cannot allocate memory|std::bad_alloc/;
const WASM_TEXT = /WebAssembly\.Memory(\.grow\(\))?[^\n]*(Maximum memory size exceeded|could not allocate|Out of memory)|Cannot allocate Wasm memory|Cannot enlarge memory|Aborted\(OOM\)|wasm memory limit/i;

function messageOf(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

/** Which kind of out-of-memory a caught error is, or null when it is some other error. */
export function outOfMemoryKind(e: unknown): 'alloc' | 'wasm' | null {
  const text = messageOf(e);
  // An emscripten abort in the tfjs wasm module surfaces as WebAssembly.RuntimeError "Aborted(...)".
  if (WASM_TEXT.test(text) || /^RuntimeError: Aborted\(/.test(text)) return 'wasm';
  if (ALLOC_TEXT.test(text)) return 'alloc';
  return null;
}

/**
 * In a probe child: when `e` is an out-of-memory error, writes the marker line to stderr and
 * exits with `EXIT_OUT_OF_MEMORY` (the parent reads both). Any other error is returned for the
 * caller to rethrow.
 */
export function exitIfOutOfMemory(e: unknown): unknown {
  const kind = outOfMemoryKind(e);
  if (!kind) return e;
  // writeSync: the process exits on the next line, and an async write could be lost.
  writeSync(2, `${OOM_MARKER} kind=${kind}: ${messageOf(e).split('\n')[0]}\n`);
  process.exit(EXIT_OUT_OF_MEMORY);
}

export type ChildOutcome = 'ok' | 'over-budget' | 'oom' | 'failed';

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when the parent killed the child for going over its budget. */
  killedForBudget: boolean;
  /** The end of the child's stderr and stdout (the last tens of KiB are enough). */
  stderr: string;
  stdout: string;
}

export interface ExitClass {
  outcome: ChildOutcome;
  oom?: OomKind;
  /** In words, e.g. "V8 heap limit: JavaScript heap out of memory (SIGABRT)". */
  reason?: string;
}

/** The line of a crash's output worth showing: the last error line, skipping stack frames and Node's banner. */
function errorLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !/^at |^\^+$|^node:internal|^Node\.js v\d/.test(l));
  const err = lines.filter((l) => /^[\w.]*(Error|Exception)\b/.test(l)).pop() ?? lines.pop() ?? '';
  return err.length > 300 ? err.slice(0, 300) + '…' : err;
}

/** Tells why a probe child ended, from its exit status and the end of its output. */
export function classifyExit(exit: ChildExit): ExitClass {
  const text = `${exit.stderr}\n${exit.stdout}`;
  const how = exit.signal ? `(${exit.signal})` : `(exit ${exit.code})`;
  if (exit.killedForBudget) return { outcome: 'over-budget', reason: 'killed by the probe: memory went over the budget' };
  const marker = new RegExp(`${OOM_MARKER} kind=(alloc|wasm): ([^\\n]*)`).exec(text);
  if (marker) {
    const kind = marker[1] as 'alloc' | 'wasm';
    return { outcome: 'oom', oom: kind, reason: `${kind === 'wasm' ? 'wasm memory limit' : 'allocation failed'}: ${marker[2]} ${how}` };
  }
  if (HEAP_TEXT.test(text)) return { outcome: 'oom', oom: 'heap', reason: `V8 heap limit: JavaScript heap out of memory ${how}` };
  if (exit.code !== 0 && WASM_TEXT.test(text)) return { outcome: 'oom', oom: 'wasm', reason: `wasm memory limit: ${WASM_TEXT.exec(text)?.[0]} ${how}` };
  if (exit.code !== 0 && ALLOC_TEXT.test(text)) return { outcome: 'oom', oom: 'alloc', reason: `allocation failed: ${ALLOC_TEXT.exec(text)?.[0]} ${how}` };
  // We did not send it, so SIGKILL came from the kernel's OOM killer (or a cgroup limit).
  if (exit.signal === 'SIGKILL') return { outcome: 'oom', oom: 'killed', reason: 'killed by the kernel (SIGKILL not sent by the probe): out of memory' };
  if (exit.code === 0 && !exit.signal) return { outcome: 'ok' };
  const tail = errorLine(exit.stderr) || errorLine(exit.stdout);
  return { outcome: 'failed', reason: `child failed ${how}${tail ? `: ${tail}` : ''}` };
}
