/**
 * Thinning a long series for drawing: at most `max` points, keeping the first and last and the
 * lowest and highest of each stretch, so peaks and troughs (and the drawdown's depth) survive.
 */

/** The most points a line of any chart draws: one or two per pixel of an 800-pixel chart. */
export const MAX_DRAWN_POINTS = 800;

/**
 * Indices of `values` to draw, ascending: every index when there are at most `max`, otherwise
 * the first, the last and the minimum and maximum of each of (max − 2) / 2 equal buckets.
 */
export function downsampleIndices(values: ArrayLike<number>, max = MAX_DRAWN_POINTS): number[] {
  if (!Number.isInteger(max) || max < 4)
    throw new RangeError(`max must be a whole number ≥ 4, got ${max}`);
  const n = values.length;
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const buckets = Math.floor((max - 2) / 2);
  const kept: number[] = [0];
  for (let b = 0; b < buckets; b++) {
    // Buckets over the inner points 1 … n − 2; the first and last are kept on their own.
    const from = 1 + Math.floor((b * (n - 2)) / buckets);
    const to = 1 + Math.floor(((b + 1) * (n - 2)) / buckets);
    let low = from;
    let high = from;
    for (let i = from + 1; i < to; i++) {
      if ((values[i] as number) < (values[low] as number)) low = i;
      if ((values[i] as number) > (values[high] as number)) high = i;
    }
    if (to > from) kept.push(Math.min(low, high), Math.max(low, high));
  }
  kept.push(n - 1);
  // A flat bucket gives the same index twice.
  return kept.filter((index, k) => k === 0 || index !== kept[k - 1]);
}
