/** Rolling annualised volatility kernel. */
import { checkPeriod, checkPositive } from './check-parameters.js';
import { rollingMoments } from './rolling-moments.js';

/**
 * Sample standard deviation (divide by period − 1) of the last `period` simple returns, times
 * √periodsPerYear. The window holds `period` returns, so it needs period + 1 closes and the first
 * value is at index `period`. 0.2 means 20 % a year.
 */
export function rollingVolatility(
  close: Float64Array,
  period: number,
  periodsPerYear = 252,
): Float64Array {
  checkPeriod('rollingVolatility period', period, 2);
  checkPositive('rollingVolatility periodsPerYear', periodsPerYear);
  const n = close.length;
  const returns = new Float64Array(n);
  if (n > 0) returns[0] = Number.NaN;
  for (let i = 1; i < n; i++) {
    const previous = close[i - 1] as number;
    // (c − p) / p rather than c / p − 1: the subtraction of nearby prices is exact, the ratio near 1 is not.
    returns[i] = ((close[i] as number) - previous) / previous;
  }
  const { sumSquares } = rollingMoments(returns, period);
  // sumSquares is not needed once read, so it becomes the result.
  const scale = periodsPerYear / (period - 1);
  for (let i = 0; i < n; i++) {
    sumSquares[i] = Math.sqrt((sumSquares[i] as number) * scale);
  }
  return sumSquares;
}
