/** Simple moving average kernel. */
import { checkPeriod } from './check-parameters.js';
import { addTo, compensatedSum, sumInto, totalOf } from './compensated-sum.js';

/**
 * Mean of the last `period` values; NaN for the first period − 1 bars. A NaN input makes every
 * window that holds it NaN, and no other.
 */
export function sma(values: Float64Array, period: number): Float64Array {
  checkPeriod('sma period', period);
  const n = values.length;
  const out = new Float64Array(n).fill(Number.NaN);
  if (n < period) return out;
  // A plain rolling sum drifts: every add and subtract rounds, the errors pile up over millions of
  // bars, and a large value leaving the window takes the small ones' digits with it. The sum is
  // Neumaier-compensated, and rebuilt from the window every `period` bars so that even the
  // compensation's own error cannot grow with the series; the rebuild also runs while the sum is
  // not finite, so a NaN stops counting once it leaves the window.
  const sum = compensatedSum();
  sumInto(sum, values, 0, period);
  out[period - 1] = totalOf(sum) / period;
  let untilExact = period;
  for (let i = period; i < n; i++) {
    untilExact--;
    addTo(sum, values[i] as number);
    addTo(sum, -(values[i - period] as number));
    let total = totalOf(sum);
    if (untilExact === 0 || !Number.isFinite(total)) {
      sumInto(sum, values, i - period + 1, i + 1);
      total = totalOf(sum);
      untilExact = period;
    }
    out[i] = total / period;
  }
  return out;
}
