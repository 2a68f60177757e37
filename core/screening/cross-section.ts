/** Cross-sectional z-scores of one factor across the symbols of a screen, clipped at ±limit. */

/** The cross-section a factor's z-scores were taken against. */
export interface FactorStats {
  /** Symbols with a value for the factor. */
  count: number;
  /** Mean of the raw values (0 when count is 0). */
  mean: number;
  /** Population standard deviation (divide by count) of the raw values (0 when count is 0). */
  std: number;
}

/** The z-scores of one factor and the statistics they came from. */
export interface CrossSectionalZ {
  /** One per input value: oriented, clipped z-score, NaN where the raw value is NaN (missing). */
  z: Float64Array;
  stats: FactorStats;
}

/**
 * z_i = clip(orientation × (x_i − mean) / std, −limit, +limit), with mean and population standard
 * deviation (divide by n) over the non-NaN values. The z-scores themselves are clipped (winsorised
 * in z), not the raw values, and they are not re-standardised after clipping. When fewer than two
 * values are present, or all present values are equal, every present z is 0: the factor does not
 * separate the symbols. Summation runs in input order, so the result is deterministic.
 */
export function crossSectionalZ(
  values: Float64Array,
  orientation: 1 | -1,
  limit: number,
): CrossSectionalZ {
  const n = values.length;
  const z = new Float64Array(n).fill(Number.NaN);
  let count = 0;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const x = values[i] as number;
    if (Number.isNaN(x)) continue;
    count++;
    sum += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  if (count === 0) return { z, stats: { count, mean: 0, std: 0 } };
  const mean = sum / count;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const x = values[i] as number;
    if (Number.isNaN(x)) continue;
    squares += (x - mean) * (x - mean);
  }
  // Equal values would give a rounding-noise std (their float mean need not equal them exactly).
  const std = min === max ? 0 : Math.sqrt(squares / count);
  for (let i = 0; i < n; i++) {
    const x = values[i] as number;
    if (Number.isNaN(x)) continue;
    if (std === 0) {
      z[i] = 0;
      continue;
    }
    // + 0 turns a −0 (a value at the mean, sign-flipped) into 0.
    const score = (orientation * (x - mean)) / std + 0;
    z[i] = score > limit ? limit : score < -limit ? -limit : score;
  }
  return { z, stats: { count, mean, std } };
}
