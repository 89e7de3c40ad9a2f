/** Figures for the data stage: price paths, the return distribution, feature correlations, size by scale. */
import { figure, type Figure } from './figure.ts';

export interface PricePaths {
  dates: string[];
  series: Array<{ ticker: string; close: ArrayLike<number> }>;
}

export interface PricePathsOptions {
  /** Divide each path by its first close, so tickers share one axis. Default true. */
  rebase?: boolean;
  /** Default "Synthetic price paths". */
  title?: string;
}

/** One line per ticker: close over time, rebased to 1 at the start unless `rebase` is false. */
export function pricePathsFigure(prices: PricePaths, options: PricePathsOptions = {}): Figure {
  const rebase = options.rebase ?? true;
  const data = prices.series.map((s) => {
    const first = s.close[0];
    return {
      type: 'scatter',
      mode: 'lines',
      name: s.ticker,
      x: prices.dates,
      y: Array.from(s.close, (c) => Number((rebase ? c / first : c).toPrecision(6))),
      line: { width: 1.4 },
    };
  });
  return figure(data, {
    title: { text: options.title ?? 'Synthetic price paths' },
    xaxis: { title: { text: 'date' } },
    yaxis: { title: { text: rebase ? 'close / first close' : 'close' } },
    legend: { orientation: 'h', y: -0.2 },
  });
}

export interface ReturnHistogramOptions {
  /** Default "Next-day returns". */
  title?: string;
  /** Histogram bins. Default 80. */
  bins?: number;
}

/**
 * Histogram of returns (in percent) with the normal density of the same mean and standard
 * deviation drawn over it: the gap in the tails is volatility clustering at work.
 */
export function returnHistogramFigure(returns: ArrayLike<number>, options: ReturnHistogramOptions = {}): Figure {
  const values = Array.from(returns).filter(Number.isFinite);
  const n = Math.max(values.length, 1);
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / n) || 1;
  const bins = options.bins ?? 80;
  const lo = mean - 6 * sd;
  const hi = mean + 6 * sd;
  const width = (hi - lo) / bins;
  const xs = Array.from({ length: 121 }, (_, i) => lo + ((hi - lo) * i) / 120);
  const density = xs.map((x) => Math.exp(-0.5 * ((x - mean) / sd) ** 2) / (sd * Math.sqrt(2 * Math.PI)));
  const kurtosis = values.reduce((a, b) => a + ((b - mean) / sd) ** 4, 0) / n - 3;
  return figure(
    [
      {
        type: 'histogram',
        name: 'returns',
        x: values.map((v) => Number(v.toPrecision(5))),
        histnorm: 'probability density',
        xbins: { start: lo, end: hi, size: width },
        marker: { color: '#1f77b4' },
        opacity: 0.75,
      },
      { type: 'scatter', mode: 'lines', name: 'normal, same mean and sd', x: xs, y: density, line: { color: '#d62728', width: 2 } },
    ],
    {
      title: { text: `${options.title ?? 'Next-day returns'} (n = ${values.length.toLocaleString('en-US')}, sd ${sd.toFixed(2)}%, excess kurtosis ${kurtosis.toFixed(1)})` },
      xaxis: { title: { text: 'return (%)' }, range: [lo, hi] },
      yaxis: { title: { text: 'density (log scale)' }, type: 'log', exponentformat: 'power' },
      bargap: 0.02,
      legend: { x: 0.7, y: 0.98 },
    },
  );
}

export interface CorrelationHeatmapOptions {
  /** Default "Feature correlations". */
  title?: string;
}

/** Pearson correlations as a heatmap, red positive, blue negative, white at zero. */
export function correlationHeatmapFigure(corr: { names: string[]; matrix: number[][] }, options: CorrelationHeatmapOptions = {}): Figure {
  const z = corr.matrix.map((row) => row.map((v) => Number(v.toFixed(3))));
  return figure(
    [
      {
        type: 'heatmap',
        x: corr.names,
        y: corr.names,
        z,
        zmin: -1,
        zmax: 1,
        // Plotly's RdBu runs blue (low) to red (high): positive correlations show red.
        colorscale: 'RdBu',
        hovertemplate: '%{y} × %{x}: %{z}<extra></extra>',
      },
    ],
    {
      title: { text: options.title ?? 'Feature correlations' },
      height: 560,
      margin: { l: 110, r: 20, t: 50, b: 110 },
      yaxis: { autorange: 'reversed' },
    },
  );
}

export interface ScalePoint {
  scale: number;
  bytes: number;
  rows: number;
  seconds?: number;
}

export interface ScaleBytesOptions {
  /** Default "Dataset size by scale". */
  title?: string;
}

/** Bytes on disk (bars, left axis, MB) and rows (line, right axis) against scale, one per dataset written. */
export function scaleBytesFigure(points: ScalePoint[], options: ScaleBytesOptions = {}): Figure {
  const sorted = [...points].sort((a, b) => a.scale - b.scale);
  const maxBytes = Math.max(1, ...sorted.map((p) => p.bytes));
  const maxRows = Math.max(1, ...sorted.map((p) => p.rows));
  const label = (p: ScalePoint) => `${p.scale}×: ${(p.bytes / 1e6).toFixed(1)} MB, ${p.rows.toLocaleString('en-US')} rows${p.seconds !== undefined ? `, ${p.seconds.toFixed(1)} s` : ''}`;
  return figure(
    [
      {
        type: 'bar',
        name: 'bytes on disk (MB)',
        x: sorted.map((p) => `${p.scale}×`),
        y: sorted.map((p) => Number((p.bytes / 1e6).toPrecision(5))),
        text: sorted.map((p) => `${(p.bytes / 1e6).toFixed(1)} MB`),
        textposition: 'outside',
        hovertext: sorted.map(label),
        hoverinfo: 'text',
        marker: { color: '#1f77b4' },
        opacity: 0.8,
      },
      {
        type: 'scatter',
        mode: 'lines+markers',
        name: 'rows',
        x: sorted.map((p) => `${p.scale}×`),
        y: sorted.map((p) => p.rows),
        yaxis: 'y2',
        marker: { size: 7, symbol: 'square', color: '#ff7f0e' },
        line: { dash: 'dot' },
      },
    ],
    {
      title: { text: options.title ?? 'Dataset size by scale' },
      xaxis: { title: { text: 'scale (× base tickers)' }, type: 'category' },
      // Both axes start at zero and leave the same headroom, so where bytes are proportional to
      // rows the line runs through the tops of the bars.
      yaxis: { title: { text: 'MB on disk' }, range: [0, (1.18 * maxBytes) / 1e6] },
      yaxis2: { title: { text: 'rows' }, overlaying: 'y', side: 'right', range: [0, 1.18 * maxRows], showgrid: false, exponentformat: 'SI' },
      margin: { l: 60, r: 70, t: 50, b: 50 },
      legend: { x: 0.02, y: 0.98 },
    },
  );
}
