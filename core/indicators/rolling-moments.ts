/** Rolling mean and sum of squared deviations over a fixed window: the core of Bollinger bands, z-score and rolling volatility. */
import { windowSum } from './compensated-sum.js';

/** Below this fraction of its recent peak, the rolling m2 has lost too many digits to be trusted. */
const COLLAPSE = 1e-2;

/** Per-bar statistics of the window ending at each bar; NaN until the window is full. */
export interface RollingMoments {
  mean: Float64Array;
  /** Σ (x − mean)² over the window: divide by period for the population variance, period − 1 for the sample. */
  sumSquares: Float64Array;
}

/**
 * Mean and sum of squared deviations of each `period`-long window, in O(n). A NaN input makes every
 * window that holds it NaN. The caller checks `period`.
 */
export function rollingMoments(values: Float64Array, period: number): RollingMoments {
  const n = values.length;
  const mean = new Float64Array(n).fill(Number.NaN);
  const sumSquares = new Float64Array(n).fill(Number.NaN);
  let mu = 0;
  let m2 = 0;
  let untilExact = 0;
  let run = 0;
  let peak = 0;
  for (let i = 0; i < n; i++) {
    const x = values[i] as number;
    run = i > 0 && x === values[i - 1] ? run + 1 : 1;
    if (i < period - 1) continue;
    if (run >= period) {
      // A window of one repeated value has variance exactly 0, but the rolling update below leaves
      // a residue near 1e-30 that a z-score would blow up into noise; set the exact answer.
      mu = x;
      m2 = 0;
      peak = 0;
      untilExact = period;
    } else {
      // The sliding update is Welford's, which is stable, but its rounding still accumulates: an
      // exact two-pass recompute every `period` bars (and while a NaN is in play) caps it. The
      // update's error is also relative to the largest m2 since the last recompute, not to the
      // current one, so a collapsing variance (a volatile stretch leaving the window, two near-equal
      // returns) is recomputed as well; that is rare and costs O(period) each time.
      let exact = untilExact <= 1 || !Number.isFinite(m2);
      if (!exact) {
        const old = values[i - period] as number;
        const next = mu + (x - old) / period;
        m2 += (x - old) * (x - next + old - mu);
        mu = next;
        if (m2 > peak) peak = m2;
        untilExact--;
        exact = m2 < peak * COLLAPSE;
      }
      if (exact) {
        const start = i - period + 1;
        mu = windowSum(values, start, i + 1) / period;
        m2 = 0;
        for (let j = start; j <= i; j++) {
          const d = (values[j] as number) - mu;
          m2 += d * d;
        }
        peak = m2;
        untilExact = period;
      }
    }
    mean[i] = mu;
    sumSquares[i] = m2;
  }
  return { mean, sumSquares };
}
