/** A screen that ranks nothing says why: the history each weighted factor needs, or the filters that removed the symbols. */
import { describe, expect, it } from 'vitest';
import type { PriceSeries } from '../series/price-series.js';
import { screenStocks } from './screen.js';

const DAY = 86_400_000;

/** One bar per calendar day from `start`, open = high = low = close. */
function bars(symbol: string, closes: number[], start = '2021-01-01'): PriceSeries {
  const first = Date.parse(`${start}T00:00:00Z`);
  const close = Float64Array.from(closes);
  return {
    symbol,
    dates: closes.map((_, i) => new Date(first + i * DAY).toISOString().slice(0, 10)),
    open: close.slice(),
    high: close.slice(),
    low: close.slice(),
    close,
    adjClose: close.slice(),
    volume: new Float64Array(closes.length).fill(1000),
    scale: 100,
  };
}

const ramp = (n: number, from = 100) => Array.from({ length: n }, (_, i) => from + i);

describe('a screen with no ranked rows', () => {
  it('says how much history each weighted factor needs and how many bars the symbols have', () => {
    const universe = {
      series: [bars('AAPL', ramp(10)), bars('KO', ramp(12), '2020-12-30')],
      sectors: {},
    };
    const result = screenStocks(universe, {
      asOf: '2021-01-10',
      weights: { momentum_12_1: 1, trend_strength: 0.5 },
    });
    expect(result.rows).toEqual([]);
    expect(result.note).toBe(
      'No symbol was ranked on 2021-01-10: all 2 were left out. ' +
        '2 have too little history for any weighted factor ' +
        '(momentum_12_1 needs 253 bars, trend_strength 126 bars): ' +
        'they have 10 to 12 bars on or before 2021-01-10. ' +
        'Screen a later date, or weight a factor that needs fewer bars ' +
        '(reversal_1m 22, volatility 64, rsi 15).',
    );
  });

  it('names the filter that removed each group of symbols, with an example', () => {
    const universe = {
      series: [bars('AAPL', ramp(30, 3)), bars('KO', ramp(30, 50)), bars('XOM', ramp(30, 60))],
      sectors: { AAPL: 'Information Technology', KO: 'Consumer Staples', XOM: 'Energy' },
    };
    const result = screenStocks(universe, {
      asOf: '2021-01-30',
      filters: { sectors: ['Information Technology', 'Consumer Staples'], minPrice: 40 },
    });
    expect(result.passed).toBe(1);
    expect(result.note).toBeUndefined();

    const none = screenStocks(universe, {
      asOf: '2021-01-30',
      filters: { sectors: ['Information Technology', 'Energy'], minPrice: 100 },
    });
    expect(none.rows).toEqual([]);
    expect(none.note).toBe(
      'No symbol was ranked on 2021-01-30: all 3 were left out. ' +
        '1 by the sector filter (KO: sector Consumer Staples is not among Information Technology, Energy); ' +
        '2 by the minimum price filter (AAPL: price 32 on 2021-01-30 is below minPrice 100). ' +
        'Loosen or drop those filters.',
    );
  });

  it('says when a symbol has no recent bar, and each reason in turn', () => {
    const universe = {
      series: [bars('AAPL', ramp(30)), bars('KO', ramp(6), '2021-03-10')],
      sectors: {},
    };
    const result = screenStocks(universe, { asOf: '2021-03-15', weights: { reversal_1m: 1 } });
    expect(result.note).toBe(
      'No symbol was ranked on 2021-03-15: all 2 were left out. ' +
        "1 has no bar in the 10 calendar days up to 2021-03-15 (AAPL's last is on 2021-01-30); " +
        '1 has too little history for any weighted factor (reversal_1m needs 22 bars): ' +
        'it has 6 bars on or before 2021-03-15. ' +
        'Screen a date the prices cover. ' +
        'Screen a later date, or weight a factor that needs fewer bars (rsi 15).',
    );
  });

  it('of one symbol says so', () => {
    const result = screenStocks(
      { series: [bars('AAPL', ramp(5))], sectors: {} },
      { asOf: '2021-01-05', weights: { rsi: 1 } },
    );
    expect(result.note).toBe(
      'No symbol was ranked on 2021-01-05: the 1 symbol was left out. ' +
        '1 has too little history for any weighted factor (rsi needs 15 bars): ' +
        'it has 5 bars on or before 2021-01-05. Screen a later date.',
    );
  });
});
