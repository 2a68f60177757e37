/** donchian on hand-made bars: a window that includes the current bar, period 1, NaN isolation. */
import { describe, expect, it } from 'vitest';
import { donchian } from './donchian.js';

const f = (values: number[]) => Float64Array.from(values);

describe('donchian', () => {
  it.each([
    {
      name: 'period 3, current bar included',
      high: [1, 3, 2, 5, 4],
      low: [0, 2, 1, 3, 2],
      period: 3,
      upper: [NaN, NaN, 3, 5, 5],
      lower: [NaN, NaN, 0, 1, 1],
      middle: [NaN, NaN, 1.5, 3, 3],
    },
    {
      name: 'period 1 is the bar itself',
      high: [2, 4],
      low: [1, 1],
      period: 1,
      upper: [2, 4],
      lower: [1, 1],
      middle: [1.5, 2.5],
    },
    {
      name: 'a NaN spoils only the windows that hold it',
      high: [1, NaN, 2, 3, 4],
      low: [0, 0, 1, 2, NaN],
      period: 2,
      upper: [NaN, NaN, NaN, 3, 4],
      lower: [NaN, 0, 0, 1, NaN],
      middle: [NaN, NaN, NaN, 2, NaN],
    },
  ])('$name', ({ high, low, period, upper, lower, middle }) => {
    const channel = donchian(f(high), f(low), period);
    expect(Array.from(channel.upper)).toEqual(upper);
    expect(Array.from(channel.lower)).toEqual(lower);
    expect(Array.from(channel.middle)).toEqual(middle);
  });
});
