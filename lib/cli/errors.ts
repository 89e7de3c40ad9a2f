/**
 * How the `caplab` command ends on an error: one line `caplab CMD: what went wrong` (and the
 * hint line under it), never a stack trace; CAPLAB_DEBUG=1 adds the stack for bug reports.
 */
import { CaplabError } from '../index.ts';

/** Exit codes: usage errors are told apart from failures, and both from caplab's own bugs. */
export const EXIT = { failed: 1, usage: 2, internal: 70 } as const;

const ERRNO: Record<string, [string, string]> = {
  ENOSPC: ['the disk is full', 'Free some space or write to another disk.'],
  EDQUOT: ['the disk quota is used up', 'Free some space or write to another disk.'],
  EACCES: ['permission denied', 'Choose a path you may write to, or fix its permissions.'],
  EPERM: ['operation not permitted', 'Choose a path you may write to, or fix its permissions.'],
  EROFS: ['the file system is read-only', 'Write somewhere else.'],
  ENOENT: ['no such file or folder', 'Check the path.'],
  ENOTDIR: ['a part of the path is a file, not a folder', 'Check the path.'],
  EISDIR: ['it is a folder, not a file', 'Check the path.'],
  EEXIST: ['something is already there', 'Choose another path.'],
  EMFILE: ['too many open files', 'Raise the open-file limit (ulimit -n) or close other programs.'],
  ENAMETOOLONG: ['the path is too long', 'Use a shorter path.'],
};

/** The lines to print for `e` and the exit code. */
export function describeError(command: string, e: unknown): { text: string; code: number } {
  const prefix = `caplab ${command}`;
  if (e instanceof CaplabError) return { text: `${prefix}: ${e.message}`, code: e.code === 'usage' ? EXIT.usage : EXIT.failed };
  const err = e as NodeJS.ErrnoException;
  // node:util parseArgs reports every bad command line (unknown option, missing value,
  // ambiguous "-1GiB") as a TypeError with an ERR_PARSE_ARGS_* code: a usage error, not a crash.
  if (err instanceof TypeError && String(err.code).startsWith('ERR_PARSE_ARGS')) {
    const [first, ...more] = err.message.split('\n').filter((l) => l.trim() !== '');
    const hint = more.length ? more.join(' ') : `Run \`caplab ${command} --help\` for the options.`;
    return { text: `${prefix}: ${first}\n  → ${hint}`, code: EXIT.usage };
  }
  if (err && typeof err.code === 'string' && ERRNO[err.code]) {
    const [what, hint] = ERRNO[err.code];
    const dest = (err as { dest?: string }).dest;
    const where = err.path ? ` ${err.path}${dest ? ` → ${dest}` : ''}` : '';
    return { text: `${prefix}: cannot ${err.syscall ?? 'access'}${where}: ${what}.\n  → ${hint}`, code: EXIT.failed };
  }
  const message = err instanceof Error ? err.message : String(e);
  if (err instanceof RangeError && /call stack|array length|allocation|buffer/i.test(message)) {
    return { text: `${prefix}: ran out of memory (${message}).\n  → Ask for less at once (a smaller dataset, fewer trials).`, code: EXIT.failed };
  }
  return {
    text: `${prefix}: internal error: ${message.split('\n')[0]}\n  → This is a bug in caplab. Rerun with CAPLAB_DEBUG=1 to see where it happened, and report it.`,
    code: EXIT.internal,
  };
}

/** Prints `e` as caplab's error lines (with the stack under CAPLAB_DEBUG=1) and returns the exit code. */
export function reportError(command: string, e: unknown): number {
  const { text, code } = describeError(command, e);
  process.stderr.write(text + '\n');
  if (process.env.CAPLAB_DEBUG && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
  return code;
}
