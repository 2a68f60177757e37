/** priceFactors: each factor appears at exactly the history FACTOR_MIN_BARS says, and bad prices make it missing rather than infinite. */
import { describe, expect, it } from 'vitest';
import type { PriceSeries } from '../series/price-series.js';
import { FACTOR_MIN_BARS, PRICE_FACTOR_NAMES, priceFactors } from './factors.js';

function wavy(n: number): PriceSeries {
  const close = Float64Array.from({ length: n }, (_, i) => 50 + 10 * Math.sin(i / 7) + i / 10);
  return {
    symbol: 'W',
    dates: Array.from({ length: n }, (_, i) =>
      new Date(Date.UTC(2000, 0, 1 + i)).toISOString().slice(0, 10),
    ),
    open: close,
    high: close.map((c) => c * 1.01),
    low: close.map((c) => c * 0.99),
    close,
    adjClose: close,
    volume: close.map(() => 100),
    scale: 100,
  };
}

describe('priceFactors', () => {
  it.each(PRICE_FACTOR_NAMES)('%s needs exactly FACTOR_MIN_BARS bars', (name) => {
    const bars = FACTOR_MIN_BARS[name];
    const series = wavy(300);
    expect(Number.isNaN(priceFactors(series, bars - 2)[name])).toBe(true);
    expect(Number.isFinite(priceFactors(series, bars - 1)[name])).toBe(true);
  });

  it('reports a factor as missing (NaN), never ±Infinity, when a price it divides by is 0', () => {
    const series = wavy(300);
    series.adjClose = series.adjClose.slice();
    series.adjClose[299 - 252] = 0;
    const factors = priceFactors(series, 299);
    expect(factors.momentum_12_1).toBeNaN();
    expect(Number.isFinite(factors.reversal_1m)).toBe(true);
    series.adjClose[299 - 21] = 0;
    expect(priceFactors(series, 299).reversal_1m).toBeNaN();
  });

  it('gives trend_strength ±1 for a steady exponential rise or fall and 0 for a flat price', () => {
    const line = (rate: number) => {
      const s = wavy(130);
      s.adjClose = Float64Array.from({ length: 130 }, (_, i) => 100 * Math.exp(rate * i));
      return priceFactors(s, 129).trend_strength;
    };
    expect(line(0.01)).toBeCloseTo(1, 12);
    expect(line(-0.01)).toBeCloseTo(-1, 12);
    expect(line(0)).toBe(0);
  });
});
