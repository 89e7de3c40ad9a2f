/**
 * Progress events: every long operation reports through an optional `onProgress` hook. The CLI
 * draws a terminal bar from them; notebooks draw live plots. Add a variant here for new work.
 */
export type ProgressEvent =
  | { kind: 'shard-written'; done: number; total: number; rows: number; bytes: number }
  | { kind: 'epoch'; epoch: number; epochs: number; loss: number; valLoss?: number; seconds: number }
  | { kind: 'probe-scale'; scale: number; status: string; peakBytes?: number }
  | { kind: 'trial-started'; trialId: string; worker?: string }
  | { kind: 'trial-finished'; trialId: string; status: 'ok' | 'failed' | 'stopped'; done: number; total: number; running: number; failed: number; best?: number }
  | { kind: 'trial-epoch'; trialId: string; epoch: number; valLoss: number; loss?: number }
  | { kind: 'message'; text: string };

export type ProgressHook = (event: ProgressEvent) => void;

/**
 * A one-line terminal progress bar on stderr (so `--json` stdout stays clean). Redraws in place
 * on a TTY; on a pipe or in CI it prints a line at most every `everyMs`.
 */
export function terminalBar(label: string, options: { stream?: NodeJS.WriteStream; everyMs?: number } = {}) {
  const stream = options.stream ?? process.stderr;
  const everyMs = options.everyMs ?? 2000;
  const start = Date.now();
  let last = 0;
  return {
    update(done: number, total: number, detail = ''): void {
      const now = Date.now();
      const finished = done >= total;
      if (!stream.isTTY && !finished && now - last < everyMs) return;
      last = now;
      const frac = total > 0 ? Math.min(1, done / total) : 1;
      const width = 24;
      const filled = Math.round(frac * width);
      const elapsed = (now - start) / 1000;
      const eta = frac > 0 && !finished ? ` eta ${((elapsed / frac) - elapsed).toFixed(0)}s` : '';
      const line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${elapsed.toFixed(1)}s${eta} ${detail}`;
      if (stream.isTTY) stream.write(`\r\x1b[K${line}${finished ? '\n' : ''}`);
      else stream.write(line + '\n');
    },
  };
}
