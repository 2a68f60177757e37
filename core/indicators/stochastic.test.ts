/** stochastic on hand-made bars: %K over a window that includes the current bar, %D its SMA, and the flat-range case. */
import { describe, expect, it } from 'vitest';
import { stochastic } from './stochastic.js';

const f = (values: number[]) => Float64Array.from(values);
const near = (v: number) => (Number.isNaN(v) ? v : expect.closeTo(v, 12));

describe('stochastic', () => {
  it('%K against the window range, %D its SMA', () => {
    // kPeriod 2: bar 1 range 1..4, close 4 → 100; bar 2 range 2..5, close 3 → 100/3;
    // bar 3 range 3..6, close 5 → 200/3. dPeriod 2: (100 + 100/3) / 2, then (100/3 + 200/3) / 2.
    const lines = stochastic(f([3, 4, 5, 6]), f([1, 2, 3, 4]), f([2, 4, 3, 5]), 2, 2);
    expect(Array.from(lines.k)).toEqual([NaN, 100, 100 / 3, 200 / 3].map(near));
    expect(Array.from(lines.d)).toEqual([NaN, NaN, 200 / 3, 50].map(near));
  });

  it('a window with no range reads 50, not oversold', () => {
    const flat = f([7, 7, 7, 7]);
    const lines = stochastic(flat, flat, flat, 3, 1);
    expect(Array.from(lines.k)).toEqual([NaN, NaN, 50, 50]);
    expect(Array.from(lines.d)).toEqual([NaN, NaN, 50, 50]);
  });

  it('kPeriod 1 compares the close with its own bar', () => {
    const lines = stochastic(f([10, 10]), f([0, 5]), f([2.5, 10]), 1, 1);
    expect(Array.from(lines.k)).toEqual([25, 100]);
  });

  it('defaults to 14 and 3', () => {
    const c = Float64Array.from({ length: 30 }, (_, i) => 10 + Math.sin(i));
    const h = c.map((v) => v + 1);
    const l = c.map((v) => v - 1);
    const lines = stochastic(h, l, c);
    expect(lines).toEqual(stochastic(h, l, c, 14, 3));
    expect(lines.k.findIndex((v) => !Number.isNaN(v))).toBe(13);
    expect(lines.d.findIndex((v) => !Number.isNaN(v))).toBe(15);
  });
});
