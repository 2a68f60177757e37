/** On-balance volume kernel. */
import { checkSameLength } from './check-parameters.js';
import { addTo, compensatedSum, totalOf } from './compensated-sum.js';

/**
 * Running total of volume, added on up closes and subtracted on down closes. It starts at 0 on the
 * first bar (only its changes mean anything), so there is no warm-up. A NaN makes every later value NaN.
 */
export function obv(close: Float64Array, volume: Float64Array): Float64Array {
  checkSameLength('obv', { close, volume });
  const n = close.length;
  const out = new Float64Array(n);
  // Volumes can be fractional (crypto, adjusted data), and a plain running total over millions
  // of bars drifts, so the total is compensated.
  const total = compensatedSum();
  for (let i = 1; i < n; i++) {
    addTo(
      total,
      Math.sign((close[i] as number) - (close[i - 1] as number)) * (volume[i] as number),
    );
    out[i] = totalOf(total);
  }
  return out;
}
