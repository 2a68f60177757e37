/** Donchian channel kernel. */
import { checkPeriod, checkSameLength } from './check-parameters.js';
import { rollingMax, rollingMin } from './rolling-extremes.js';

/** Donchian channel lines, each as long as the input; NaN for the first period − 1 bars. */
export interface DonchianChannel {
  /** Highest high of the window. */
  upper: Float64Array;
  /** Lowest low of the window. */
  lower: Float64Array;
  /** Midpoint of upper and lower. */
  middle: Float64Array;
}

/**
 * Highest high and lowest low of the last `period` bars, the current bar included (as
 * trading-signals and most charting tools draw it). A breakout rule must therefore compare today's
 * price with yesterday's channel, since today's high can never be above today's upper line.
 */
export function donchian(high: Float64Array, low: Float64Array, period: number): DonchianChannel {
  checkPeriod('donchian period', period);
  checkSameLength('donchian', { high, low });
  const upper = rollingMax(high, period);
  const lower = rollingMin(low, period);
  const middle = new Float64Array(high.length);
  for (let i = 0; i < middle.length; i++) {
    middle[i] = ((upper[i] as number) + (lower[i] as number)) / 2;
  }
  return { upper, lower, middle };
}
