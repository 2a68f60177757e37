/** wma on hand-computed inputs: linear weights, period 1, NaN isolation, cancellation. */
import { describe, expect, it } from 'vitest';
import { wma } from './wma.js';

const f = (values: number[]) => Float64Array.from(values);

describe('wma', () => {
  it.each([
    {
      // (1·1 + 2·2 + 3·3) / 6, (2 + 6 + 12) / 6, (3 + 8 + 15) / 6.
      name: 'weights 1, 2, 3 with the newest heaviest',
      values: [1, 2, 3, 4, 5],
      period: 3,
      expected: [NaN, NaN, 14 / 6, 20 / 6, 26 / 6],
    },
    { name: 'period 1 is the input', values: [3, -1, 4], period: 1, expected: [3, -1, 4] },
    { name: 'period > length', values: [3, -1, 4], period: 4, expected: [NaN, NaN, NaN] },
    {
      name: 'a NaN spoils only the windows that hold it',
      values: [1, NaN, 3, 4, 5, 6],
      period: 2,
      expected: [NaN, NaN, NaN, 11 / 3, 14 / 3, 17 / 3],
    },
    {
      // A plain weighted running sum would lose every 1 to 1e17 and give 0 once it leaves.
      name: 'keeps the small values when a huge one leaves the window',
      values: [1e17, 1, 1, 1, 1, 2, 3],
      period: 3,
      expected: [NaN, NaN, 1e17 / 6, 1, 1, 1.5, 14 / 6],
    },
  ])('$name', ({ values, period, expected }) => {
    const out = Array.from(wma(f(values), period));
    expect(out).toEqual(expected.map((v) => (Number.isNaN(v) ? v : expect.closeTo(v, 12))));
  });
});
