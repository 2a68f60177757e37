/** Rolling z-score kernel. */
import { checkPeriod } from './check-parameters.js';
import { rollingMoments } from './rolling-moments.js';

/**
 * (x − mean) / standard deviation over the last `period` values, the current one included, with the
 * sample deviation (divide by period − 1). NaN for the first period − 1 bars. A window of one repeated
 * value has no deviation; its z-score is 0 (the value is at the mean) rather than 0 / 0.
 */
export function zscore(values: Float64Array, period: number): Float64Array {
  checkPeriod('zscore period', period, 2);
  const { mean, sumSquares } = rollingMoments(values, period);
  // mean is not needed once read, so it becomes the result.
  for (let i = 0; i < mean.length; i++) {
    const m2 = sumSquares[i] as number;
    mean[i] =
      m2 === 0 ? 0 : ((values[i] as number) - (mean[i] as number)) / Math.sqrt(m2 / (period - 1));
  }
  return mean;
}
