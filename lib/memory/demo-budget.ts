/**
 * A budget that makes this machine's limit visible in a demo: from a calibration probe of the
 * small scales, a budget the next-to-largest scale fits and the largest does not.
 */
import { predictMemory } from './fit.ts';
import type { ProbeReport } from './probe.ts';

export interface DemoBudget {
  bytes: number;
  /** Why this budget, in a sentence. */
  text: string;
}

/** Below this gap between two predicted peaks, RSS noise could put either side of the budget. */
const MIN_GAP_BYTES = 16 * 1024 ** 2;
/** Never below what an idle Node.js child needs to start (it is then killed at once). */
const FLOOR_BYTES = 48 * 1024 ** 2;

/**
 * The midpoint between the predicted peaks of the two largest `scales`, so every smaller scale
 * runs and the largest goes over. When the data is too small for the peaks to differ by at least
 * 16 MiB (the tiny preset), a budget under the fixed part instead: every scale fails at once.
 */
export function demoBudget(calibration: ProbeReport, scales: number[]): DemoBudget {
  const fit = calibration.fit;
  const perScale = calibration.runs.filter((r) => r.rows && !r.rowsEstimated).map((r) => (r.rows as number) / r.scale)[0];
  const sorted = [...scales].sort((a, b) => a - b);
  if (!fit || !perScale || sorted.length < 2) {
    return { bytes: FLOOR_BYTES, text: 'no calibration fit: a budget below what any child needs' };
  }
  const [a, b] = sorted.slice(-2).map((s) => predictMemory(fit, s * perScale));
  if (b - a < MIN_GAP_BYTES) {
    const bytes = Math.max(FLOOR_BYTES, Math.round(fit.fixedBytes / 2));
    return { bytes, text: `the data is too small to tell the scales apart (${sorted.at(-2)}× and ${sorted.at(-1)}× differ by ${((b - a) / 2 ** 20).toFixed(1)} MiB): a budget below the fixed part, so every scale fails` };
  }
  const bytes = Math.round((a + b) / 2);
  return { bytes, text: `halfway between the predicted peaks of ${sorted.at(-2)}× and ${sorted.at(-1)}×` };
}
