/** rollingVolatility on hand-computed returns: sample σ, annualising, flat prices. */
import { describe, expect, it } from 'vitest';
import { rollingVolatility } from './rolling-volatility.js';

const near = (v: number) => (Number.isNaN(v) ? v : expect.closeTo(v, 12));

// Returns +10 %, −10 %, 0 %, +10 %.
const close = Float64Array.from([100, 110, 99, 99, 108.9]);

describe('rollingVolatility', () => {
  it('is the sample σ of the last `period` returns', () => {
    // [0.1, −0.1]: mean 0, Σd² = 0.02, sample variance 0.02 / 1. [−0.1, 0] and [0, 0.1]: Σd² = 0.005.
    expect(Array.from(rollingVolatility(close, 2, 1))).toEqual(
      [NaN, NaN, Math.sqrt(0.02), Math.sqrt(0.005), Math.sqrt(0.005)].map(near),
    );
    // [0.1, −0.1, 0] and [−0.1, 0, 0.1]: mean 0, Σd² = 0.02, sample variance 0.01.
    expect(Array.from(rollingVolatility(close, 3, 1))).toEqual([NaN, NaN, NaN, 0.1, 0.1].map(near));
  });

  it('annualises by √periodsPerYear, 252 by default', () => {
    const daily = rollingVolatility(close, 2, 1);
    const yearly = rollingVolatility(close, 2);
    expect(yearly[2]).toBeCloseTo((daily[2] as number) * Math.sqrt(252), 12);
    expect(rollingVolatility(close, 2, 52)[2]).toBeCloseTo(
      (daily[2] as number) * Math.sqrt(52),
      12,
    );
  });

  it('is exactly 0 on flat prices', () => {
    expect(Array.from(rollingVolatility(new Float64Array(6).fill(42), 3))).toEqual([
      NaN,
      NaN,
      NaN,
      0,
      0,
      0,
    ]);
  });
});
