/**
 * Size presets shared by notebooks, the demo and tests, so one notebook runs in seconds under
 * test and at full size for a presentation. Chosen by `CAPLAB_PRESET` (default `quick`).
 */
import { CaplabError } from './errors.ts';

export type PresetName = 'tiny' | 'quick' | 'full';

export interface Preset {
  name: PresetName;
  /** Base (1×) synthetic market size. */
  tickers: number;
  days: number;
  /**
   * Scales for the data and memory stages. For `full` these are only the fallback: its scales
   * come from this machine (`machineScales`: 1×, 10× and up to about twice what this machine is
   * predicted to hold in memory).
   */
  scales: number[];
  /**
   * Where the memory limit the stages show comes from: `machine` — this machine's own memory (the
   * out-of-memory is real); `stand-in` — a smaller budget standing for a smaller machine, so the
   * limit shows in seconds on small data. Every output of a stand-in run says so.
   */
  limit: 'machine' | 'stand-in';
  /** Epochs per search trial. */
  epochs: number;
}

export const PRESETS: Record<PresetName, Preset> = {
  tiny: { name: 'tiny', tickers: 8, days: 160, scales: [1, 2, 4], epochs: 1, limit: 'stand-in' },
  quick: { name: 'quick', tickers: 100, days: 1260, scales: [1, 2, 5, 10], epochs: 3, limit: 'stand-in' },
  full: { name: 'full', tickers: 100, days: 1260, scales: [1, 10, 50, 200], epochs: 20, limit: 'machine' },
};

/** The preset named by `name`, else `CAPLAB_PRESET`, else `quick`. */
export function preset(name?: string): Preset {
  const chosen = name ?? process.env.CAPLAB_PRESET ?? 'quick';
  const p = PRESETS[chosen as PresetName];
  if (!p) {
    throw new CaplabError('bad-preset', `Unknown preset "${chosen}".`, {
      hint: `Use one of ${Object.keys(PRESETS).join(', ')} (set CAPLAB_PRESET or pass it explicitly).`,
    });
  }
  return p;
}
