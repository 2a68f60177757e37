/** Bollinger bands kernel. */
import { checkPeriod, checkPositive } from './check-parameters.js';
import { rollingMoments } from './rolling-moments.js';

/** Bollinger bands, each as long as the input; NaN for the first period − 1 bars. */
export interface BollingerBands {
  /** Simple moving average of the window. */
  middle: Float64Array;
  /** middle + k · standard deviation. */
  upper: Float64Array;
  /** middle − k · standard deviation. */
  lower: Float64Array;
}

/**
 * Bands k standard deviations around the `period`-bar SMA. The deviation is the population one
 * (divide by period, not period − 1), as John Bollinger defines it.
 */
export function bollinger(close: Float64Array, period = 20, k = 2): BollingerBands {
  checkPeriod('bollinger period', period);
  checkPositive('bollinger k', k, true);
  const { mean, sumSquares } = rollingMoments(close, period);
  const upper = new Float64Array(close.length);
  // sumSquares is not needed once read, so it becomes the lower band.
  const lower = sumSquares;
  for (let i = 0; i < close.length; i++) {
    const middle = mean[i] as number;
    const width = k * Math.sqrt((sumSquares[i] as number) / period);
    upper[i] = middle + width;
    lower[i] = middle - width;
  }
  return { middle: mean, upper, lower };
}
