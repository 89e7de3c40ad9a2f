/** Regression metrics in plain JS (float64 sums), beside naive baselines, so a model's numbers always come with "compared to what". */
import type { MetricsWithBaselines, RegressionMetrics } from './types.ts';

/**
 * MSE, RMSE, MAE, R² and directional accuracy of `pred` against `y`. `pred` is an array of the
 * same length, or one number predicted for every row (a baseline). An empty split gives NaN
 * for every metric.
 */
export function regressionMetrics(y: ArrayLike<number>, pred: ArrayLike<number> | number): RegressionMetrics {
  const n = y.length;
  const constant = typeof pred === 'number';
  if (!constant && pred.length !== n) throw new Error(`regressionMetrics: ${pred.length} predictions for ${n} targets`);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i];
  mean /= n;
  let sse = 0;
  let sae = 0;
  let sst = 0;
  let hits = 0;
  let called = 0;
  for (let i = 0; i < n; i++) {
    const p = constant ? pred : pred[i];
    const t = y[i];
    const e = p - t;
    sse += e * e;
    sae += Math.abs(e);
    sst += (t - mean) * (t - mean);
    if (t !== 0) {
      called++;
      if (p === 0) hits += 0.5;
      else if (p > 0 === t > 0) hits += 1;
    }
  }
  const mse = sse / n;
  return {
    rows: n,
    mse,
    rmse: Math.sqrt(mse),
    mae: sae / n,
    r2: sst > 0 ? 1 - sse / sst : NaN,
    directionalAccuracy: called > 0 ? hits / called : NaN,
  };
}

/** The model's metrics with the two naive baselines: predict 0, and predict the training mean of y. */
export function metricsWithBaselines(y: ArrayLike<number>, pred: ArrayLike<number>, trainMean: number): MetricsWithBaselines {
  return {
    ...regressionMetrics(y, pred),
    baselines: { zero: regressionMetrics(y, 0), trainMean: regressionMetrics(y, trainMean) },
  };
}
