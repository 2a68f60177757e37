/** Turning "which line is above" into crossing signals, with an exact tie never being a cross. */
import { SIGNAL } from './strategy.js';

/**
 * Writes crossing signals from a per-bar comparison. `compare[t]` is positive when the first line
 * is above the second, negative when below, 0 on an exact tie and NaN while either is undefined.
 * A cross up at t: compare[t] > 0 and the last bar before t where the lines differed had them
 * below. A tie neither crosses nor resets that memory, so above → tie → above is not a cross and
 * below → tie → above is one (on the bar where they separate).
 */
export function crossSignals(
  compare: Float64Array,
  up = SIGNAL.LONG,
  down = SIGNAL.SHORT,
): Int8Array {
  const out = new Int8Array(compare.length);
  let last = 0;
  for (let t = 0; t < compare.length; t++) {
    const c = compare[t] as number;
    if (c > 0) {
      if (last < 0) out[t] = up;
      last = 1;
    } else if (c < 0) {
      if (last > 0) out[t] = down;
      last = -1;
    }
  }
  return out;
}
