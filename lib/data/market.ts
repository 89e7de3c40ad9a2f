/**
 * The synthetic market: a market factor and sector factors shared by every ticker, and per-ticker
 * prices driven by them plus idiosyncratic GARCH(1,1) noise and a weak, learnable signal.
 *
 * Everything a ticker needs comes from (seed, ticker index): ticker 7 of a 200× dataset is
 * ticker 7 of the 1× dataset, and ticker 150 is new data, never a copy.
 */
import { seededRng, STREAM, type Rng } from '../util/random.ts';
import { addWeekdays } from './calendar.ts';

/** Sectors in the synthetic market. */
export const SECTORS = 10;
/** The first date that carries a dataset row; price history starts `warmup` weekdays earlier. */
export const SYNTHETIC_FIRST_ROW_DATE = '2015-01-02';

/** Daily open, high, low, close and volume of one ticker over `n` trading days. */
export interface OhlcvSeries {
  n: number;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  /** Index of each day in the dataset's calendar (0 = first price date). */
  day: Int32Array;
}

export function allocSeries(n: number): OhlcvSeries {
  const day = new Int32Array(n);
  for (let i = 0; i < n; i++) day[i] = i;
  return { n, open: new Float64Array(n), high: new Float64Array(n), low: new Float64Array(n), close: new Float64Array(n), volume: new Float64Array(n), day };
}

export interface MarketFactors {
  /** Price days simulated (warm-up + row days + one day for the last target). */
  days: number;
  /** Daily log return of the market factor. */
  market: Float64Array;
  /** Daily log return of each sector factor. */
  sectors: Float64Array[];
}

/** Fills `out` with a GARCH(1,1) return path: volatility clusters, tails are fat. */
function garchPath(r: Rng, out: Float64Array, longVol: number, alpha: number, persistence: number): void {
  const longVar = longVol * longVol;
  const beta = persistence - alpha;
  const omega = longVar * (1 - persistence);
  let h = longVar;
  let e = 0;
  for (let t = 0; t < out.length; t++) {
    h = omega + alpha * e * e + beta * h;
    e = Math.sqrt(h) * r.normal();
    out[t] = e;
  }
}

/** The shared factors: generated once per dataset from the seed alone. */
export function marketFactors(seed: number, days: number): MarketFactors {
  const market = new Float64Array(days);
  garchPath(seededRng(seed, STREAM.market), market, 0.009, 0.09, 0.98);
  // An equity premium of about 7% a year, so prices drift up as real indices do.
  for (let t = 0; t < days; t++) market[t] += 0.0003;
  const sectors: Float64Array[] = [];
  for (let k = 0; k < SECTORS; k++) {
    const s = new Float64Array(days);
    const r = seededRng(seed, STREAM.sector, k);
    garchPath(r, s, 0.004 + 0.004 * r.uniform(), 0.07, 0.97);
    sectors.push(s);
  }
  return { days, market, sectors };
}

export interface TickerProfile {
  sector: number;
  /** Loading on the market factor. */
  beta: number;
  /** Loading on its sector factor. */
  sectorBeta: number;
  /** Long-run daily volatility of its own noise. */
  idioVol: number;
}

/**
 * Simulates ticker `index` into `out` (reused between tickers to keep memory flat).
 *
 * The signal: the next day's expected return is minus a fraction of today's own shock, more so
 * on days of unusual volume (overreaction that reverts), plus a little momentum. It is weak (a
 * percent or two of the variance) and visible only through past prices and volume.
 */
export function simulateTicker(seed: number, index: number, factors: MarketFactors, out: OhlcvSeries): TickerProfile {
  const r = seededRng(seed, STREAM.ticker, index);
  const n = out.n;
  const sector = Math.min(SECTORS - 1, Math.floor(r.uniform() * SECTORS));
  const beta = 0.5 + r.uniform();
  const sectorBeta = 0.4 + 0.9 * r.uniform();
  const idioVol = 0.009 + 0.016 * r.uniform();
  const drift = 0.0001 + 0.0003 * (r.uniform() - 0.3);
  const alpha = 0.04 + 0.06 * r.uniform();
  const persistence = 0.93 + 0.05 * r.uniform();
  const longVar = idioVol * idioVol;
  const omega = longVar * (1 - persistence);
  const gBeta = persistence - alpha;
  const baseVolume = Math.log(2e5) + 2.5 * r.uniform();
  const market = factors.market;
  const sec = factors.sectors[sector];

  let close = Math.exp(Math.log(40) + 0.8 * r.normal());
  let h = longVar;
  let e = 0;
  let mu = 0;
  let momentum = 0;
  let volLevel = 0;
  for (let t = 0; t < n; t++) {
    h = omega + alpha * e * e + gBeta * h;
    const sigma = Math.sqrt(h);
    const z = r.normal();
    e = sigma * z;
    const ret = t === 0 ? 0 : drift + mu + beta * market[t] + sectorBeta * sec[t] + e;
    const prev = close;
    close = prev * Math.exp(ret);
    const overnight = 0.3 * ret + 0.25 * sigma * r.normal();
    const open = t === 0 ? close : prev * Math.exp(overnight);
    // Wicks, volume weight and momentum use rational functions where a second exp or tanh would
    // only cost time: the shapes matter here, not the exact curves.
    const wick = 0.6 * sigma;
    out.open[t] = open;
    out.close[t] = close;
    out.high[t] = Math.max(open, close) * (1 + wick * Math.abs(r.normal()));
    out.low[t] = Math.min(open, close) / (1 + wick * Math.abs(r.normal()));
    const shock = r.normal();
    volLevel = 0.95 * volLevel + 0.1 * r.normal();
    out.volume[t] = Math.round(Math.exp(baseVolume + volLevel + 0.4 * Math.abs(z) + 0.35 * shock));
    momentum = 0.9 * momentum + e;
    const weight = 1 + (3 * shock) / (1 + Math.abs(3 * shock)); // 0 … 2, mean 1
    const m = momentum / (2.3 * sigma);
    mu = -0.2 * e * weight + 0.06 * sigma * (m / (1 + Math.abs(m)));
  }
  return { sector, beta, sectorBeta, idioVol };
}

/** ISO date of synthetic price day `day`, where day `warmup` is the first row date. */
export function syntheticDate(day: number, warmup: number): string {
  return addWeekdays(SYNTHETIC_FIRST_ROW_DATE, day - warmup);
}
