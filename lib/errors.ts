/**
 * The one error type caplab throws on purpose. `message` says what was wrong; `hint` says what
 * to do next. `code` is stable so scripts and tests can match on it.
 */
export class CaplabError extends Error {
  readonly code: string;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(options.hint ? `${message}\n  → ${options.hint}` : message, { cause: options.cause });
    this.name = 'CaplabError';
    this.code = code;
    this.hint = options.hint;
  }
}

/** Exit code a worker uses for a spec that can never succeed (bad config): not worth a retry. */
export const EXIT_BAD_CONFIG = 3;

export function isCaplabError(e: unknown, code?: string): e is CaplabError {
  return e instanceof CaplabError && (code === undefined || e.code === code);
}
