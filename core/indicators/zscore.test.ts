/** zscore on hand-computed inputs: sample σ, the current value inside its window, flat windows. */
import { describe, expect, it } from 'vitest';
import { zscore } from './zscore.js';

const near = (v: number) => (Number.isNaN(v) ? v : expect.closeTo(v, 12));

describe('zscore', () => {
  it.each([
    {
      // [1, 2, 3] and [2, 3, 4]: mean 2 (3), sample σ 1, so z = 1. [3, 4, 10]: mean 17/3,
      // Σd² = (64 + 25 + 169) / 9 = 86/3, sample σ √(43/3), z = (13/3) / √(43/3).
      name: 'sample σ, current value included',
      values: [1, 2, 3, 4, 10],
      period: 3,
      expected: [NaN, NaN, 1, 1, 13 / 3 / Math.sqrt(43 / 3)],
    },
    {
      name: 'period 2 is ±1/√2, and 0 for a repeat',
      values: [5, 7, 6, 6],
      period: 2,
      expected: [NaN, Math.SQRT1_2, -Math.SQRT1_2, 0],
    },
    {
      name: 'a flat window is 0, not 0/0',
      values: [0.1, 0.1, 0.1, 0.1, 0.2],
      period: 3,
      expected: [NaN, NaN, 0, 0, 2 / Math.sqrt(3)],
    },
  ])('$name', ({ values, period, expected }) => {
    expect(Array.from(zscore(Float64Array.from(values), period))).toEqual(expected.map(near));
  });
});
