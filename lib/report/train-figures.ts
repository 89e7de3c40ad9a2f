/** Figures for training: loss curves (also drawn live), model vs naive baselines, and training throughput against a peer. */
import type { ProgressEvent } from '../progress.ts';
import type { EpochReport, MetricsWithBaselines, RegressionMetrics, TrainResult } from '../train/types.ts';
import { liveFigure } from './display.ts';
import { figure, type Figure } from './figure.ts';

const COLORS = { train: '#1f77b4', validation: '#ff7f0e', best: '#2ca02c', reference: '#7f7f7f', zero: '#bcbd22', mean: '#9467bd', peer: '#d62728' };

export interface LossFigureOptions {
  /** Default "Training loss". */
  title?: string;
  /** Epoch to mark as best (default: the one with the lowest validation loss). */
  bestEpoch?: number;
  /** Logarithmic loss axis. Default false. */
  logY?: boolean;
}

type LossPoint = Pick<EpochReport, 'epoch' | 'loss' | 'valLoss'>;

/**
 * Train and validation loss by epoch (MSE on standardized targets), with a dotted line at 1:
 * the loss of predicting the training mean. Below it, the model has learned something.
 */
export function lossCurveFigure(epochs: LossPoint[], options: LossFigureOptions = {}): Figure {
  const x = epochs.map((e) => e.epoch);
  const finite = epochs.filter((e) => Number.isFinite(e.valLoss));
  const best = options.bestEpoch ?? finite.reduce<LossPoint | undefined>((b, e) => (!b || e.valLoss < b.valLoss ? e : b), undefined)?.epoch;
  const bestPoint = epochs.find((e) => e.epoch === best);
  const data: Figure['data'] = [
    { type: 'scatter', mode: 'lines+markers', name: 'train loss', x, y: epochs.map((e) => e.loss), line: { color: COLORS.train } },
    { type: 'scatter', mode: 'lines+markers', name: 'validation loss', x, y: epochs.map((e) => e.valLoss), line: { color: COLORS.validation } },
    {
      type: 'scatter', mode: 'lines', name: 'predict the train mean (= 1)', x: [Math.min(1, ...x), Math.max(1, ...x)], y: [1, 1],
      line: { color: COLORS.reference, dash: 'dot' }, hoverinfo: 'skip',
    },
  ];
  if (bestPoint) {
    data.push({
      type: 'scatter', mode: 'markers', name: `best epoch (${bestPoint.epoch})`, x: [bestPoint.epoch], y: [bestPoint.valLoss],
      marker: { color: COLORS.best, size: 13, symbol: 'star' },
    });
  }
  return figure(data, {
    title: { text: options.title ?? 'Training loss' },
    xaxis: { title: { text: 'epoch' }, dtick: epochs.length <= 20 ? 1 : undefined },
    yaxis: { title: { text: 'MSE (standardized target)' }, type: options.logY ? 'log' : 'linear' },
  });
}

export interface MetricFigureOptions {
  /** Which metric to compare. Default 'rmse'. */
  metric?: Exclude<keyof RegressionMetrics, 'rows'>;
  /** Default "<metric>: model vs naive baselines". */
  title?: string;
}

/** Grouped bars: the model beside "predict 0" and "predict the train mean", on validation and test. */
export function baselineComparisonFigure(metrics: { validation: MetricsWithBaselines; test: MetricsWithBaselines }, options: MetricFigureOptions = {}): Figure {
  const metric = options.metric ?? 'rmse';
  const splits = ['validation', 'test'] as const;
  const bar = (name: string, color: string, pick: (m: MetricsWithBaselines) => RegressionMetrics) => ({
    type: 'bar', name, x: [...splits], y: splits.map((s) => pick(metrics[s])[metric]), marker: { color },
  });
  return figure(
    [
      bar('model', COLORS.train, (m) => m),
      bar('predict 0', COLORS.zero, (m) => m.baselines.zero),
      bar('predict the train mean', COLORS.mean, (m) => m.baselines.trainMean),
    ],
    { title: { text: options.title ?? `${metric}: model vs naive baselines` }, barmode: 'group', yaxis: { title: { text: metric } } },
  );
}

/** One measured training throughput, e.g. one line of bench/train.bench.ts. */
export interface ThroughputPoint {
  /** e.g. "64-32 @256". */
  label: string;
  caplabRowsPerSecond: number;
  peerRowsPerSecond?: number;
}

/** Rows per second for caplab and a peer (PyTorch) per model shape, on a log axis, ratio as text. */
export function throughputFigure(points: ThroughputPoint[], options: { title?: string; peer?: string; backend?: string } = {}): Figure {
  const peer = options.peer ?? 'PyTorch';
  const labels = points.map((p) => p.label);
  const data: Figure['data'] = [
    {
      type: 'bar', name: `caplab (${options.backend ?? 'tfjs'})`, x: labels, y: points.map((p) => Math.round(p.caplabRowsPerSecond)), marker: { color: COLORS.train },
      text: points.map((p) => (p.peerRowsPerSecond ? `${(p.caplabRowsPerSecond / p.peerRowsPerSecond).toFixed(2)}×` : '')), textposition: 'outside',
    },
  ];
  if (points.some((p) => p.peerRowsPerSecond)) {
    data.push({ type: 'bar', name: peer, x: labels, y: points.map((p) => (p.peerRowsPerSecond ? Math.round(p.peerRowsPerSecond) : null)), marker: { color: COLORS.peer } });
  }
  return figure(data, {
    title: { text: options.title ?? `Training throughput: caplab vs ${peer}` },
    barmode: 'group',
    yaxis: { title: { text: 'training rows / second' }, type: 'log' },
  });
}

export interface LiveLossPlot {
  /** Pass as TrainOptions.onEpoch. */
  onEpoch(e: EpochReport): void;
  /** Or pass as TrainOptions.onProgress (epoch events are drawn; others ignored). */
  onProgress(e: ProgressEvent): void;
  /** Draws the final figure (marks the best epoch); `result` adds its best epoch. */
  done(result?: TrainResult): void;
  readonly epochs: LossPoint[];
}

/**
 * A loss plot that redraws after every epoch in a notebook (prints one line when done
 * elsewhere). Hook it to either onEpoch or onProgress; an epoch seen twice is drawn once.
 *
 * ```ts
 * const plot = caplab.liveLossPlot();
 * const r = await caplab.trainModel(dir, { config, onEpoch: plot.onEpoch });
 * plot.done(r);
 * ```
 */
export function liveLossPlot(options: LossFigureOptions = {}): LiveLossPlot {
  const live = liveFigure();
  const epochs: LossPoint[] = [];
  const add = (p: LossPoint) => {
    const i = epochs.findIndex((e) => e.epoch === p.epoch);
    if (i >= 0) epochs[i] = p;
    else epochs.push(p);
    live.update(lossCurveFigure(epochs, options));
  };
  return {
    epochs,
    onEpoch: (e) => add({ epoch: e.epoch, loss: e.loss, valLoss: e.valLoss }),
    onProgress: (e) => {
      if (e.kind === 'epoch') add({ epoch: e.epoch, loss: e.loss, valLoss: e.valLoss ?? NaN });
    },
    done: (result) => live.done(lossCurveFigure(result ? result.epochs : epochs, { ...options, bestEpoch: result?.bestEpoch ?? options.bestEpoch })),
  };
}
