/** Exponential smoothing seeded with a simple average: the recursion behind the EMA (alpha 2 / (p + 1)) and Wilder's ATR (alpha 1 / p). */
import { windowSum } from './compensated-sum.js';

/**
 * y[t] = y[t−1] + alpha·(x[t] − y[t−1]), seeded at the `period`-th value with the simple average of
 * the first `period` values. Leading NaNs (another indicator's warm-up) are skipped, so the seed
 * comes from the first `period` real values; a NaN after the seed makes every later value NaN.
 */
export function exponentialSmoothing(
  values: Float64Array,
  period: number,
  alpha: number,
): Float64Array {
  const n = values.length;
  const out = new Float64Array(n).fill(Number.NaN);
  let first = 0;
  while (first < n && Number.isNaN(values[first])) first++;
  const seedAt = first + period - 1;
  if (seedAt >= n) return out;
  let level = windowSum(values, first, seedAt + 1) / period;
  out[seedAt] = level;
  for (let i = seedAt + 1; i < n; i++) {
    level += ((values[i] as number) - level) * alpha;
    out[i] = level;
  }
  return out;
}
