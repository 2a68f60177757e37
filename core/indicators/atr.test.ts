/** atr on hand-made bars: true range across a gap, the Wilder recursion, period 1. */
import { describe, expect, it } from 'vitest';
import { atr } from './atr.js';

const f = (values: number[]) => Float64Array.from(values);

// True ranges from bar 1: max(11 − 9, |11 − 9|, |9 − 9|) = 2; max(2, |12 − 10|, |10 − 10|) = 2;
// a gap up over the close of 11: max(15 − 14, |15 − 11|, |14 − 11|) = 4; then max(1, |14 − 14.5|, |13 − 14.5|) = 1.5.
const high = f([10, 11, 12, 15, 14]);
const low = f([8, 9, 10, 14, 13]);
const close = f([9, 10, 11, 14.5, 13.5]);

describe('atr', () => {
  it.each([
    // Seed (2 + 2) / 2 = 2 at bar 2, then 2 + (4 − 2) / 2 = 3, then 3 + (1.5 − 3) / 2 = 2.25.
    { period: 2, expected: [NaN, NaN, 2, 3, 2.25] },
    // Period 1 is the true range itself.
    { period: 1, expected: [NaN, 2, 2, 4, 1.5] },
    // Seed (2 + 2 + 4) / 3 at bar 3, then (8/3) + (1.5 − 8/3) / 3.
    { period: 3, expected: [NaN, NaN, NaN, 8 / 3, 8 / 3 + (1.5 - 8 / 3) / 3] },
    { period: 5, expected: [NaN, NaN, NaN, NaN, NaN] },
  ])('period $period', ({ period, expected }) => {
    const out = Array.from(atr(high, low, close, period));
    expect(out).toEqual(expected.map((v) => (Number.isNaN(v) ? v : expect.closeTo(v, 12))));
  });

  it('defaults to period 14', () => {
    const c = Float64Array.from({ length: 30 }, (_, i) => 10 + Math.sin(i));
    const h = c.map((v) => v + 1);
    const l = c.map((v) => v - 1);
    expect(Array.from(atr(h, l, c))).toEqual(Array.from(atr(h, l, c, 14)));
    expect(atr(h, l, c).findIndex((v) => !Number.isNaN(v))).toBe(14);
  });
});
