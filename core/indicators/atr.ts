/** Average true range kernel (Wilder). */
import { checkPeriod, checkSameLength } from './check-parameters.js';
import { exponentialSmoothing } from './exponential-smoothing.js';

/**
 * Wilder's ATR. The true range needs the previous close, so it starts at bar 1 (the TA-Lib and
 * technicalindicators convention; trading-signals counts bar 0's high − low as well). The first ATR,
 * at index `period`, is the mean of the first `period` true ranges; after that alpha = 1 / period.
 */
export function atr(
  high: Float64Array,
  low: Float64Array,
  close: Float64Array,
  period = 14,
): Float64Array {
  checkPeriod('atr period', period);
  checkSameLength('atr', { high, low, close });
  const n = close.length;
  const trueRange = new Float64Array(n);
  if (n > 0) trueRange[0] = Number.NaN;
  for (let i = 1; i < n; i++) {
    const h = high[i] as number;
    const l = low[i] as number;
    const previous = close[i - 1] as number;
    trueRange[i] = Math.max(h - l, Math.abs(h - previous), Math.abs(l - previous));
  }
  return exponentialSmoothing(trueRange, period, 1 / period);
}
