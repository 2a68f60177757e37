/** sma on hand-computed inputs: warm-up, period 1, NaN isolation, and sums that a plain rolling total gets wrong. */
import { describe, expect, it } from 'vitest';
import { sma } from './sma.js';

const f = (values: number[]) => Float64Array.from(values);

describe('sma', () => {
  it.each([
    { name: 'period 2', values: [1, 2, 3, 4, 5], period: 2, expected: [NaN, 1.5, 2.5, 3.5, 4.5] },
    { name: 'period 1 is the input', values: [3, -1, 4], period: 1, expected: [3, -1, 4] },
    { name: 'period = length', values: [2, 4, 9], period: 3, expected: [NaN, NaN, 5] },
    { name: 'period > length', values: [2, 4, 9], period: 4, expected: [NaN, NaN, NaN] },
    {
      name: 'a NaN spoils only the windows that hold it',
      values: [1, NaN, 3, 4, 5, 6, 7],
      period: 2,
      expected: [NaN, NaN, NaN, 3.5, 4.5, 5.5, 6.5],
    },
  ])('$name', ({ values, period, expected }) => {
    expect(Array.from(sma(f(values), period))).toEqual(expected);
  });

  it('keeps the small values when a huge one leaves the window', () => {
    // A plain running sum absorbs the 1s into 1e17 and, once 1e17 leaves, is left with 0 instead of 3.
    const out = sma(f([1e17, 1, 1, 1, 1, 2, 3]), 3);
    expect(Array.from(out.subarray(3))).toEqual([1, 1, 4 / 3, 2]);
  });

  it('does not drift over a million bars', () => {
    const n = 1_000_000;
    const values = Float64Array.from(
      { length: n },
      (_, i) => 100 + Math.sin(i) * 0.1 + (i % 7) * 0.01,
    );
    const out = sma(values, 50);
    for (const i of [49, 500_000, n - 1]) {
      let exact = 0;
      for (let j = i - 49; j <= i; j++) exact += values[j] as number;
      expect(out[i]).toBeCloseTo(exact / 50, 12);
    }
  });
});
