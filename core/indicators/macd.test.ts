/** macd on a price ramp, where every EMA lags by a known constant, so each line is known exactly. */
import { describe, expect, it } from 'vitest';
import { ema } from './ema.js';
import { macd } from './macd.js';

const near = (v: number) => (Number.isNaN(v) ? v : expect.closeTo(v, 12));

describe('macd', () => {
  it('on a ramp: line = lag(slow) − lag(fast), signal = line, histogram 0', () => {
    // On x[t] = t + 1, an SMA-seeded EMA(p) trails the price by (p − 1) / 2 for ever: EMA(2) by
    // 0.5 and EMA(3) by 1, so the line is 0.5 from bar 2, and its EMA(2) is 0.5 from bar 3.
    const close = Float64Array.from({ length: 8 }, (_, i) => i + 1);
    const lines = macd(close, 2, 3, 2);
    expect(Array.from(lines.macd)).toEqual([NaN, NaN, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5].map(near));
    expect(Array.from(lines.signal)).toEqual([NaN, NaN, NaN, 0.5, 0.5, 0.5, 0.5, 0.5].map(near));
    expect(Array.from(lines.histogram)).toEqual([NaN, NaN, NaN, 0, 0, 0, 0, 0].map(near));
  });

  it('defaults to 12, 26, 9: line from bar 25, signal from bar 33', () => {
    const close = Float64Array.from({ length: 60 }, (_, i) => 50 + 5 * Math.sin(i / 4));
    const lines = macd(close);
    expect(lines.macd.findIndex((v) => !Number.isNaN(v))).toBe(25);
    expect(lines.signal.findIndex((v) => !Number.isNaN(v))).toBe(33);
    expect(lines.histogram.findIndex((v) => !Number.isNaN(v))).toBe(33);
    const fast = ema(close, 12);
    const slow = ema(close, 26);
    expect(lines.macd[40]).toBeCloseTo((fast[40] as number) - (slow[40] as number), 12);
    expect(lines.histogram[40]).toBeCloseTo(
      (lines.macd[40] as number) - (lines.signal[40] as number),
      12,
    );
  });
});
