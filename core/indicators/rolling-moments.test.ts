/** Rolling mean and Σ(x − mean)² against a two-pass computation of every window, where a sliding update loses digits. */
import { describe, expect, it } from 'vitest';
import { rollingMoments } from './rolling-moments.js';

/** The two-pass definition for the window of `period` values ending at `end`. */
function twoPass(values: Float64Array, end: number, period: number) {
  const window = Array.from(values.subarray(end - period + 1, end + 1));
  const mean = window.reduce((a, b) => a + b, 0) / period;
  return { mean, sumSquares: window.reduce((a, x) => a + (x - mean) ** 2, 0) };
}

describe('rollingMoments', () => {
  it('stays exact when a volatile stretch leaves the window', () => {
    // 300 bars swinging by ±1e6, then 300 bars of ±1e-3: a sliding update would carry the first
    // stretch's rounding (about 1e-4) into sums of squares of about 1e-6.
    const values = Float64Array.from(
      { length: 600 },
      (_, i) => (i < 300 ? 1e6 : 1e-3) * Math.sin(i),
    );
    for (const period of [2, 5, 30]) {
      const { mean, sumSquares } = rollingMoments(values, period);
      for (let i = period - 1; i < values.length; i++) {
        const expected = twoPass(values, i, period);
        expect(mean[i]).toBeCloseTo(expected.mean, 9);
        const relative =
          Math.abs((sumSquares[i] as number) - expected.sumSquares) / expected.sumSquares;
        expect(relative, `period ${period}, bar ${i}`).toBeLessThan(1e-9);
      }
    }
  });

  it('a NaN spoils only the windows that hold it', () => {
    const { mean, sumSquares } = rollingMoments(Float64Array.from([1, 3, Number.NaN, 5, 7, 9]), 2);
    expect(Array.from(mean)).toEqual([Number.NaN, 2, Number.NaN, Number.NaN, 6, 8]);
    expect(Array.from(sumSquares)).toEqual([Number.NaN, 2, Number.NaN, Number.NaN, 2, 2]);
  });
});
