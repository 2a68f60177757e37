/** Every kernel returns series as long as its input: empty in, empty out, and all NaN when the input is shorter than the warm-up. */
import { describe, expect, it } from 'vitest';
import {
  atr,
  bollinger,
  donchian,
  ema,
  macd,
  momentum,
  obv,
  roc,
  rollingVolatility,
  rsi,
  sma,
  stochastic,
  wma,
  zscore,
} from './index.js';

/** Each kernel as a function of one series (used for every price input), returning all its output series. */
const kernels: [string, number, (x: Float64Array) => Float64Array[]][] = [
  // [name, first index with a value, run]
  ['sma(5)', 4, (x) => [sma(x, 5)]],
  ['ema(5)', 4, (x) => [ema(x, 5)]],
  ['wma(5)', 4, (x) => [wma(x, 5)]],
  ['rsi(5)', 5, (x) => [rsi(x, 5)]],
  ['macd(2, 4, 3)', 3, (x) => Object.values(macd(x, 2, 4, 3))],
  ['bollinger(5)', 4, (x) => Object.values(bollinger(x, 5))],
  ['atr(5)', 5, (x) => [atr(x, x, x, 5)]],
  ['stochastic(5, 3)', 4, (x) => Object.values(stochastic(x, x, x, 5, 3))],
  ['roc(5)', 5, (x) => [roc(x, 5)]],
  ['momentum(5)', 5, (x) => [momentum(x, 5)]],
  ['donchian(5)', 4, (x) => Object.values(donchian(x, x, 5))],
  ['rollingVolatility(5)', 5, (x) => [rollingVolatility(x, 5)]],
  ['zscore(5)', 4, (x) => [zscore(x, 5)]],
];

describe('output lengths and warm-up', () => {
  it.each(kernels)('%s of an empty series is empty', (_name, _first, run) => {
    for (const series of run(new Float64Array(0))) expect(series).toHaveLength(0);
  });

  it.each(kernels)(
    '%s of a series one bar short of its warm-up is all NaN',
    (_name, first, run) => {
      const short = Float64Array.from({ length: first }, (_, i) => 10 + (i % 3));
      for (const series of run(short)) {
        expect(series).toHaveLength(first);
        expect(series.every(Number.isNaN)).toBe(true);
      }
    },
  );

  it.each(kernels)('%s has its first value at index %i', (_name, first, run) => {
    const prices = Float64Array.from({ length: 40 }, (_, i) => 10 + (i % 3) + i / 10);
    for (const series of run(prices)) {
      expect(series).toHaveLength(40);
      // The MACD signal and histogram and the stochastic %D start later than the first line.
      const start = series.findIndex((v) => !Number.isNaN(v));
      expect(start).toBeGreaterThanOrEqual(first);
      expect(series.subarray(start).every(Number.isFinite)).toBe(true);
    }
    expect(run(prices)[0]?.findIndex((v) => !Number.isNaN(v))).toBe(first);
  });

  it('obv has no warm-up: 0 on the first bar, and empty for an empty series', () => {
    expect(obv(new Float64Array(0), new Float64Array(0))).toHaveLength(0);
    expect(Array.from(obv(Float64Array.from([5]), Float64Array.from([100])))).toEqual([0]);
  });
});
