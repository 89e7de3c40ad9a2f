/**
 * Out-of-memory, told apart the same way on every path (a caught error in the worker, a local
 * child's exit, a pod's container status). A Node.js worker runs out of memory in different ways
 * depending on which allocator gave up:
 * - `alloc`: an ArrayBuffer/typed array could not be allocated (`RangeError: Array buffer
 *   allocation failed`): the process survives it, so the worker reports it and exits with
 *   `EXIT_OUT_OF_MEMORY`.
 * - `heap`: the V8 JS heap hit its limit (`--max-old-space-size`): V8 prints "JavaScript heap out
 *   of memory" and aborts (SIGABRT). Nothing in the process can catch it.
 * - `wasm`: the wasm32 memory of the tfjs wasm backend cannot grow (4 GiB at most).
 * - `killed`: a SIGKILL its runner did not send: the kernel's OOM killer (or a cgroup limit).
 * - `container`: the container runtime says `OOMKilled`. That reason is the verdict, whatever the
 *   exit code (137, and 0 with phase Succeeded have both been seen); without it, 137 in a container
 *   is any SIGKILL and no evidence of memory.
 */

export type OomKind = 'alloc' | 'heap' | 'wasm' | 'killed' | 'container';

/** Exit code of a worker that caught an out-of-memory error (sysexits' EX_OSERR). */
export const EXIT_OUT_OF_MEMORY = 71;

/** What is known about how a worker ended; any subset. */
export interface EndFacts {
  /** An error the worker caught. */
  error?: unknown;
  /** Exit code, null when a signal ended the process. */
  code?: number | null;
  signal?: string | null;
  /** The end of the worker's output (stderr, then stdout): V8's and emscripten's last words. */
  output?: string;
  /** A container's `state.terminated.reason` (Kubernetes): when given, the only word on a kernel kill. */
  containerReason?: string;
  /** Whoever ran the worker sent the SIGKILL itself (a memory budget, a stop), so it is no OOM verdict. */
  killedByRunner?: boolean;
}

export interface OutOfMemory {
  kind: OomKind;
  /** In words, e.g. "V8 heap limit: JavaScript heap out of memory (SIGABRT)". */
  reason: string;
}

const HEAP_TEXT = /JavaScript heap out of memory|Reached heap limit|Ineffective mark-compacts near heap limit/;
const ALLOC_TEXT = /Array buffer allocation failed|Cannot allocate memory|std::bad_alloc/;
const WASM_TEXT = /WebAssembly\.Memory(\.grow\(\))?[^\n]*(Maximum memory size exceeded|could not allocate|Out of memory)|Cannot allocate Wasm memory|Cannot enlarge memory|Aborted\(OOM\)|wasm memory limit/i;
// An emscripten abort in the tfjs wasm module surfaces as WebAssembly.RuntimeError "Aborted(...)".
const WASM_ABORT = /^RuntimeError: Aborted\(/;

function messageOf(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

/** Which way a worker ran out of memory, or null when the facts show no out-of-memory. */
export function outOfMemory(facts: EndFacts): OutOfMemory | null {
  if (facts.containerReason !== undefined) {
    return facts.containerReason === 'OOMKilled' ? { kind: 'container', reason: `OOMKilled (exit code ${facts.code ?? 'none'})` } : null;
  }
  if (facts.error !== undefined) {
    const text = messageOf(facts.error).split('\n')[0];
    if (WASM_TEXT.test(text) || WASM_ABORT.test(text)) return { kind: 'wasm', reason: `wasm memory limit: ${text}` };
    if (ALLOC_TEXT.test(text)) return { kind: 'alloc', reason: `allocation failed: ${text}` };
    return null;
  }
  const output = facts.output ?? '';
  const how = facts.signal ? `(${facts.signal})` : `(exit ${facts.code})`;
  if (HEAP_TEXT.test(output)) return { kind: 'heap', reason: `V8 heap limit: JavaScript heap out of memory ${how}` };
  if (facts.code !== 0 && WASM_TEXT.test(output)) return { kind: 'wasm', reason: `wasm memory limit: ${WASM_TEXT.exec(output)?.[0]} ${how}` };
  if (facts.code !== 0 && ALLOC_TEXT.test(output)) return { kind: 'alloc', reason: `allocation failed: ${ALLOC_TEXT.exec(output)?.[0]} ${how}` };
  if ((facts.signal === 'SIGKILL' || facts.code === 137) && !facts.killedByRunner) {
    return { kind: 'killed', reason: 'killed by a SIGKILL its runner did not send: the kernel OOM killer (out of memory)' };
  }
  return null;
}
