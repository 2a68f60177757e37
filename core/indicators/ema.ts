/** Exponential moving average kernel. */
import { checkPeriod } from './check-parameters.js';
import { exponentialSmoothing } from './exponential-smoothing.js';

/**
 * EMA with smoothing 2 / (period + 1), seeded with the simple average of the first `period` values,
 * so the first value is at index period − 1 (the TA-Lib and technicalindicators convention;
 * trading-signals seeds with the first price instead, which differs for the first few dozen bars).
 * Leading NaNs are skipped, so an EMA of another indicator starts where that indicator does.
 */
export function ema(values: Float64Array, period: number): Float64Array {
  checkPeriod('ema period', period);
  return exponentialSmoothing(values, period, 2 / (period + 1));
}
