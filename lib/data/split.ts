/**
 * The split by date. Train, validation and test are consecutive blocks of trading days, never
 * shuffled across time. A row's target is the return to the ticker's next trading day, so a
 * row whose target crosses into the next block is dropped (an embargo of one day): no train
 * target overlaps a validation feature.
 */
import type { Split } from './manifest.ts';
import { WARMUP } from './features.ts';

/** Share of the row days that go to train and to validation; test gets the rest. */
export const SPLIT_FRACTIONS = { train: 0.7, validation: 0.15 } as const;

export interface DateSplit {
  /** Day index of the first validation row date. */
  validationStart: number;
  /** Day index of the first test row date. */
  testStart: number;
}

/** Splits row days [first, end) 70 / 15 / 15 by date. */
export function dateSplit(first: number, end: number): DateSplit {
  const span = end - first;
  return {
    validationStart: first + Math.floor(span * SPLIT_FRACTIONS.train),
    testStart: first + Math.floor(span * (SPLIT_FRACTIONS.train + SPLIT_FRACTIONS.validation)),
  };
}

/** Local row ranges [from, to) of one ticker, per split. */
export type SplitRanges = Record<Split, [number, number]>;

/** Which of a ticker's rows (local day t, WARMUP ≤ t < n − 1) fall in each split. */
export function splitRanges(day: Int32Array, n: number, split: DateSplit): SplitRanges {
  const ranges: SplitRanges = { train: [WARMUP, WARMUP], validation: [0, 0], test: [0, 0] };
  let t = WARMUP;
  const last = n - 1;
  while (t < last && day[t + 1] < split.validationStart) t++;
  ranges.train = [WARMUP, t];
  while (t < last && day[t] < split.validationStart) t++;
  const v = t;
  while (t < last && day[t + 1] < split.testStart) t++;
  ranges.validation = [v, t];
  while (t < last && day[t] < split.testStart) t++;
  ranges.test = [t, Math.max(t, last)];
  return ranges;
}
