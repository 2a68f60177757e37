/** Relative strength index kernel (Wilder). */
import { checkPeriod } from './check-parameters.js';

/**
 * Wilder's RSI on a 0–100 scale. Average gain and loss are seeded with the simple mean of the first
 * `period` changes, then smoothed with alpha = 1 / period, so the first value is at index `period`.
 * RSI = 100 · gain / (gain + loss): 100 with no losses, 0 with no gains, and 50 when the price has not
 * moved at all (where the usual formula divides 0 by 0). A NaN makes every later value NaN.
 */
export function rsi(close: Float64Array, period = 14): Float64Array {
  checkPeriod('rsi period', period);
  const n = close.length;
  const out = new Float64Array(n).fill(Number.NaN);
  if (n <= period) return out;
  let gain = 0;
  let loss = 0;
  for (let i = 1; i <= period; i++) {
    const change = (close[i] as number) - (close[i - 1] as number);
    // Written so that a NaN change lands in `loss` and poisons the result instead of counting as 0.
    if (change > 0) gain += change;
    else loss -= change;
  }
  gain /= period;
  loss /= period;
  out[period] = strength(gain, loss);
  const alpha = 1 / period;
  for (let i = period + 1; i < n; i++) {
    const change = (close[i] as number) - (close[i - 1] as number);
    const up = change > 0 ? change : 0;
    const down = change > 0 ? 0 : -change;
    gain += (up - gain) * alpha;
    loss += (down - loss) * alpha;
    out[i] = strength(gain, loss);
  }
  return out;
}

function strength(gain: number, loss: number): number {
  const total = gain + loss;
  return total === 0 ? 50 : (100 * gain) / total;
}
