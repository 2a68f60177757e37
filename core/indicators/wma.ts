/** Linearly weighted moving average kernel. */
import { checkPeriod } from './check-parameters.js';
import { addTo, compensatedSum, sumInto, totalOf } from './compensated-sum.js';

/**
 * Weighted mean of the last `period` values with weights 1, 2, …, period (newest heaviest); NaN for
 * the first period − 1 bars. A NaN input makes every window that holds it NaN.
 */
export function wma(values: Float64Array, period: number): Float64Array {
  checkPeriod('wma period', period);
  const n = values.length;
  const out = new Float64Array(n).fill(Number.NaN);
  if (n < period) return out;
  const weights = (period * (period + 1)) / 2;
  // Both running sums are compensated and rebuilt from the window every `period` bars (and while
  // not finite), for the reasons given in sma.ts.
  const plain = compensatedSum();
  const weighted = compensatedSum();
  let untilExact = 0;
  for (let i = period - 1; i < n; i++) {
    let total = Number.NaN;
    if (untilExact > 1) {
      // Sliding by one lowers every weight by one (the oldest value's reaches 0) and adds the new
      // value at full weight: W += period·x − S, then S += x − oldest.
      const x = values[i] as number;
      addTo(weighted, period * x);
      addTo(weighted, -(plain[0] as number));
      addTo(weighted, -(plain[1] as number));
      addTo(plain, x);
      addTo(plain, -(values[i - period] as number));
      total = totalOf(weighted);
      untilExact--;
    }
    if (!Number.isFinite(total)) {
      const start = i - period + 1;
      sumInto(plain, values, start, i + 1);
      weighted.fill(0);
      for (let j = start; j <= i; j++) addTo(weighted, (j - start + 1) * (values[j] as number));
      total = totalOf(weighted);
      untilExact = period;
    }
    out[i] = total / weights;
  }
  return out;
}
