/** rsi on hand-computed inputs: Wilder smoothing, the 0/100/50 edges, and period 1. */
import { describe, expect, it } from 'vitest';
import { rsi } from './rsi.js';

const f = (values: number[]) => Float64Array.from(values);

describe('rsi', () => {
  it.each([
    {
      // Changes +1, +1, −1, +2. Seed gain 1, loss 0 → 100; then gain 0.5, loss 0.5 → 50;
      // then gain 0.5 + (2 − 0.5)/2 = 1.25, loss 0.25 → 100 · 1.25 / 1.5.
      name: 'Wilder smoothing from a simple-mean seed',
      close: [1, 2, 3, 2, 4],
      period: 2,
      expected: [NaN, NaN, 100, 50, 250 / 3],
    },
    { name: 'only falls give 0', close: [4, 3, 2, 1], period: 2, expected: [NaN, NaN, 0, 0] },
    {
      name: 'no move at all gives 50',
      close: [5, 5, 5, 5],
      period: 2,
      expected: [NaN, NaN, 50, 50],
    },
    {
      name: 'period 1 reads each change alone',
      close: [1, 2, 1, 1],
      period: 1,
      expected: [NaN, 100, 0, 50],
    },
    { name: 'needs period + 1 closes', close: [1, 2, 3], period: 3, expected: [NaN, NaN, NaN] },
  ])('$name', ({ close, period, expected }) => {
    const out = Array.from(rsi(f(close), period));
    expect(out).toEqual(expected.map((v) => (Number.isNaN(v) ? v : expect.closeTo(v, 12))));
  });

  it('defaults to period 14', () => {
    const close = Float64Array.from({ length: 30 }, (_, i) => 10 + Math.sin(i));
    expect(Array.from(rsi(close))).toEqual(Array.from(rsi(close, 14)));
    expect(rsi(close).findIndex((v) => !Number.isNaN(v))).toBe(14);
  });
});
