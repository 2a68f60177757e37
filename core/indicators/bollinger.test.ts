/** bollinger on hand-computed inputs: population σ, k = 0, flat prices, period 1. */
import { describe, expect, it } from 'vitest';
import { bollinger } from './bollinger.js';

const near = (v: number) => (Number.isNaN(v) ? v : expect.closeTo(v, 12));

describe('bollinger', () => {
  it('uses the population standard deviation', () => {
    // Window 1, 2, 3: mean 2, population variance (1 + 0 + 1) / 3 = 2/3 (the sample one would be 1).
    const bands = bollinger(Float64Array.from([1, 2, 3, 5]), 3, 2);
    const sd = Math.sqrt(2 / 3);
    // Window 2, 3, 5: mean 10/3, deviations −4/3, −1/3, 5/3, variance (16 + 1 + 25) / 27 = 14/9.
    const sd2 = Math.sqrt(14 / 9);
    expect(Array.from(bands.middle)).toEqual([NaN, NaN, 2, 10 / 3].map(near));
    expect(Array.from(bands.upper)).toEqual([NaN, NaN, 2 + 2 * sd, 10 / 3 + 2 * sd2].map(near));
    expect(Array.from(bands.lower)).toEqual([NaN, NaN, 2 - 2 * sd, 10 / 3 - 2 * sd2].map(near));
  });

  it.each([
    { name: 'flat prices', close: [4, 4, 4, 4], period: 2, k: 2 },
    { name: 'k = 0', close: [1, 3, 2, 5], period: 2, k: 0 },
    { name: 'period 1', close: [1, 3, 2, 5], period: 1, k: 2 },
  ])('$name: the bands collapse onto the middle', ({ close, period, k }) => {
    const bands = bollinger(Float64Array.from(close), period, k);
    expect(Array.from(bands.upper)).toEqual(Array.from(bands.middle));
    expect(Array.from(bands.lower)).toEqual(Array.from(bands.middle));
    expect(bands.middle[period - 1]).toBe(
      close.slice(0, period).reduce((a, b) => a + b, 0) / period,
    );
  });

  it('defaults to 20 bars and 2 deviations', () => {
    const close = Float64Array.from({ length: 30 }, (_, i) => 10 + Math.sin(i));
    expect(bollinger(close)).toEqual(bollinger(close, 20, 2));
    expect(bollinger(close).middle.findIndex((v) => !Number.isNaN(v))).toBe(19);
  });
});
