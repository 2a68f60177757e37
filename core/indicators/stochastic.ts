/** Stochastic oscillator kernel (%K and %D). */
import { checkPeriod, checkSameLength } from './check-parameters.js';
import { rollingMax, rollingMin } from './rolling-extremes.js';
import { sma } from './sma.js';

/** The stochastic lines on a 0–100 scale, each as long as the input. */
export interface StochasticLines {
  /** Fast %K; first value at index kPeriod − 1. */
  k: Float64Array;
  /** SMA(dPeriod) of %K; first value at index kPeriod + dPeriod − 2. */
  d: Float64Array;
}

/**
 * Fast stochastic: %K = 100 · (close − lowest low) / (highest high − lowest low) over the last
 * `kPeriod` bars including the current one, and %D its `dPeriod`-bar SMA. When the window has no
 * range at all %K is 50 (the close sits mid-range), not the 0 that some libraries return, which
 * would read as deeply oversold.
 */
export function stochastic(
  high: Float64Array,
  low: Float64Array,
  close: Float64Array,
  kPeriod = 14,
  dPeriod = 3,
): StochasticLines {
  checkPeriod('stochastic kPeriod', kPeriod);
  checkPeriod('stochastic dPeriod', dPeriod);
  checkSameLength('stochastic', { high, low, close });
  // The highest-high array is not needed once read, so it becomes %K.
  const k = rollingMax(high, kPeriod);
  const lowest = rollingMin(low, kPeriod);
  for (let i = 0; i < k.length; i++) {
    const floor = lowest[i] as number;
    const range = (k[i] as number) - floor;
    k[i] = range === 0 ? 50 : (100 * ((close[i] as number) - floor)) / range;
  }
  return { k, d: sma(k, dPeriod) };
}
