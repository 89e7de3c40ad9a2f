/** The synthetic market as a `TickerSource`: what the generator's threads each build from (seed, tickers, days). */
import { allocSeries, marketFactors, simulateTicker, type OhlcvSeries } from './market.ts';
import { WARMUP } from './features.ts';
import type { TickerSource } from './group-build.ts';

/** Each ticker simulated on demand from (seed, id); the factors are made once per source. */
export function syntheticSource(seed: number, tickers: number, days: number): TickerSource & { priceDays: number } {
  const priceDays = WARMUP + days + 1;
  const factors = marketFactors(seed, priceDays);
  const series: OhlcvSeries = allocSeries(priceDays);
  return {
    count: tickers,
    priceDays,
    days: () => ({ day: series.day, n: priceDays }),
    load: (ticker) => {
      simulateTicker(seed, ticker, factors, series);
      return series;
    },
  };
}
