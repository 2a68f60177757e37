/** roc and momentum on hand-computed inputs: fractions, a zero base, period 1 and periods past the end. */
import { describe, expect, it } from 'vitest';
import { momentum, roc } from './roc.js';

const f = (values: number[]) => Float64Array.from(values);

describe('roc', () => {
  it.each([
    {
      name: 'a fraction of the earlier value; NaN where that value is 0',
      values: [100, 110, 99, 0, 5],
      period: 1,
      expected: [NaN, 0.1, -0.1, -1, NaN],
    },
    { name: 'period 2', values: [50, 60, 75, 90], period: 2, expected: [NaN, NaN, 0.5, 0.5] },
    { name: 'period = length', values: [1, 2, 3], period: 3, expected: [NaN, NaN, NaN] },
  ])('$name', ({ values, period, expected }) => {
    const out = Array.from(roc(f(values), period));
    expect(out).toEqual(expected.map((v) => (Number.isNaN(v) ? v : expect.closeTo(v, 12))));
  });
});

describe('momentum', () => {
  it.each([
    { name: 'period 1', values: [100, 110, 99, 0, 5], period: 1, expected: [NaN, 10, -11, -99, 5] },
    { name: 'period 3', values: [1, 2, 4, 8, 16], period: 3, expected: [NaN, NaN, NaN, 7, 14] },
    { name: 'period > length', values: [1, 2], period: 5, expected: [NaN, NaN] },
  ])('$name', ({ values, period, expected }) => {
    expect(Array.from(momentum(f(values), period))).toEqual(expected);
  });
});
