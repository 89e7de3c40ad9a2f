/**
 * The one error type caplab throws on purpose. `message` says what was wrong; `hint` says what
 * to do next. `code` is stable so scripts and tests can match on it.
 */
/** Every code a CaplabError can carry: scripts and tests match on these, so they are a closed set. */
export type ErrorCode =
  // usage and options
  | 'usage'
  | 'bad-option'
  | 'bad-preset'
  | 'bad-bytes'
  | 'bad-quantity'
  | 'bad-resources'
  | 'bad-image'
  | 'bad-name'
  | 'bad-space'
  | 'bad-job'
  | 'bad-volume'
  | 'output-exists'
  | 'output-not-ours'
  | 'output-locked'
  | 'disk-space'
  | 'too-big'
  | 'csv-too-big'
  | 'shard-missing'
  | 'shard-unreadable'
  | 'data-nonfinite'
  | 'data-error'
  | 'no-result'
  | 'bad-result'
  | 'incomplete-result'
  | 'mixed-results'
  | 'install'
  // model and specs
  | 'bad-config'
  | 'duplicate-spec'
  | 'no-specs'
  | 'specs-too-large'
  | 'protocol'
  | 'cancelled'
  | 'backend-unavailable'
  // data
  | 'csv-missing'
  | 'csv-column'
  | 'csv-row'
  | 'csv-value'
  | 'csv-date'
  | 'csv-empty'
  | 'csv-duplicate-date'
  | 'csv-none'
  | 'csv-no-rows'
  | 'csv-short-history'
  | 'dataset-empty'
  | 'dataset-mismatch'
  | 'dataset-missing'
  | 'checksum-mismatch'
  | 'invalid-manifest'
  | 'manifest-invalid'
  | 'manifest-version'
  | 'npy-dtype'
  | 'npy-invalid'
  | 'npy-order'
  | 'npy-size'
  | 'npy-truncated'
  | 'shard-missing'
  | 'shard-shape'
  | 'empty-frame'
  // experiments
  | 'bad-experiment'
  | 'experiment-mismatch'
  | 'store-failed'
  // cluster
  | 'api-error'
  | 'bad-kubeconfig'
  | 'cluster-unreachable'
  | 'forbidden'
  | 'job-conflict'
  | 'no-context'
  | 'no-kubeconfig'
  | 'not-found'
  // data-parallel
  | 'rank-lost'
  | 'rank-timeout'
  | 'rendezvous-failed'
  | 'rendezvous-refused'
  | 'rendezvous-timeout'
  | 'bad-checkpoint'
  | 'checkpoint-mismatch'
  | 'rank-oom';

export class CaplabError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(options.hint ? `${message}\n  → ${options.hint}` : message, { cause: options.cause });
    this.name = 'CaplabError';
    this.code = code;
    this.hint = options.hint;
  }
}

/** Exit code a worker uses for a spec that can never succeed (bad config): not worth a retry. */
export const EXIT_BAD_CONFIG = 3;

export function isCaplabError(e: unknown, code?: ErrorCode): e is CaplabError {
  return e instanceof CaplabError && (code === undefined || e.code === code);
}
