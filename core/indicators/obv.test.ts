/** obv on hand-made bars, and a running total of fractional volumes that a plain sum lets drift. */
import { describe, expect, it } from 'vitest';
import { obv } from './obv.js';

const f = (values: number[]) => Float64Array.from(values);

describe('obv', () => {
  it.each([
    {
      name: 'adds on up closes, subtracts on down closes, ignores flat ones',
      close: [10, 11, 11, 10, 12],
      volume: [100, 200, 300, 400, 500],
      expected: [0, 200, 200, -200, 300],
    },
    { name: 'one bar is 0', close: [10], volume: [100], expected: [0] },
    {
      name: 'a NaN close makes every later value NaN',
      close: [10, Number.NaN, 11, 12],
      volume: [1, 1, 1, 1],
      expected: [0, Number.NaN, Number.NaN, Number.NaN],
    },
  ])('$name', ({ close, volume, expected }) => {
    expect(Array.from(obv(f(close), f(volume)))).toEqual(expected);
  });

  it('does not drift over a million fractional volumes', () => {
    // Adding 0.1 a million times in plain floats gives 100000.00000133288.
    const n = 1_000_001;
    const close = Float64Array.from({ length: n }, (_, i) => i);
    const volume = new Float64Array(n).fill(0.1);
    expect(obv(close, volume)[n - 1]).toBe(100_000);
  });
});
