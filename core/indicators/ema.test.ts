/** ema on hand-computed inputs: the SMA seed, period 1, leading NaNs, and NaN after the seed. */
import { describe, expect, it } from 'vitest';
import { ema } from './ema.js';

const f = (values: number[]) => Float64Array.from(values);

describe('ema', () => {
  it.each([
    {
      // Seed (1 + 2 + 3) / 3 = 2, then alpha 0.5: 2 + 0.5·(4 − 2) = 3, 3 + 0.5·(5 − 3) = 4.
      name: 'seeded with the SMA of the first period values',
      values: [1, 2, 3, 4, 5],
      period: 3,
      expected: [NaN, NaN, 2, 3, 4],
    },
    { name: 'period 1 is the input', values: [3, -1, 4], period: 1, expected: [3, -1, 4] },
    {
      // Seed (1 + 2) / 2 = 1.5 at the 2nd real value; alpha 2/3: 1.5 + 2/3·1.5 = 2.5, then 3.5.
      name: 'leading NaNs are skipped, as for a MACD signal line',
      values: [NaN, NaN, 1, 2, 3, 4],
      period: 2,
      expected: [NaN, NaN, NaN, 1.5, 2.5, 3.5],
    },
    {
      name: 'a NaN after the seed makes every later value NaN',
      values: [1, 2, NaN, 4],
      period: 2,
      expected: [NaN, 1.5, NaN, NaN],
    },
    { name: 'period > length', values: [1, 2], period: 3, expected: [NaN, NaN] },
  ])('$name', ({ values, period, expected }) => {
    const out = Array.from(ema(f(values), period));
    expect(out).toEqual(expected.map((v) => (Number.isNaN(v) ? v : expect.closeTo(v, 12))));
  });

  it('converges to a constant input', () => {
    const out = ema(new Float64Array(200).fill(7), 20);
    expect(out[19]).toBe(7);
    expect(out[199]).toBe(7);
  });
});
