/** The monotonic-deque rolling max and min against a brute-force scan, on data full of ties and some NaNs. */
import { describe, expect, it } from 'vitest';
import { rollingMax, rollingMin } from './rolling-extremes.js';

/** The O(n·p) definition: NaN until the window is full or while it holds a NaN. */
function bruteForce(values: Float64Array, period: number, pick: (...xs: number[]) => number) {
  return Array.from(values, (_, i) =>
    i < period - 1 ? Number.NaN : pick(...values.subarray(i - period + 1, i + 1)),
  );
}

describe('rolling extremes', () => {
  // A fixed pseudo-random walk on a coarse grid, so that ties are common, with a few NaN holes.
  let seed = 7;
  const values = Float64Array.from({ length: 2000 }, (_, i) => {
    seed = (seed * 48271) % 2147483647;
    return i % 397 === 5 ? Number.NaN : Math.floor((seed / 2147483647) * 20);
  });

  it.each([1, 2, 3, 10, 50, 400])('period %i matches a brute-force scan', (period) => {
    expect(Array.from(rollingMax(values, period))).toEqual(bruteForce(values, period, Math.max));
    expect(Array.from(rollingMin(values, period))).toEqual(bruteForce(values, period, Math.min));
  });

  it('handles strictly rising and falling runs (the deque at its fullest and emptiest)', () => {
    const rising = Float64Array.from({ length: 50 }, (_, i) => i);
    const falling = rising.map((v) => -v);
    for (const series of [rising, falling]) {
      expect(Array.from(rollingMax(series, 7))).toEqual(bruteForce(series, 7, Math.max));
      expect(Array.from(rollingMin(series, 7))).toEqual(bruteForce(series, 7, Math.min));
    }
  });
});
