/** Market regimes: point in time (a later bar changed leaves earlier labels alone), every label seen on real history, the 2008 and 2020 crashes volatile-down. */
import { describe, expect, it } from 'vitest';
import { loadSeries } from '../store/market-data/load-series.js';
import { SAMPLE_DIR } from '../test/helpers/fixtures.js';
import { checkRegimes, marketRegimes, REGIMES, regimeAt } from './regime.js';

const series = await loadSeries(
  { kind: 'files', path: SAMPLE_DIR },
  { symbols: ['AAPL', 'KO', 'XOM', 'JPM', 'MSFT', 'PG', 'JNJ', 'CAT'] },
);

describe('market regimes', () => {
  it('labels the crashes volatile-down and a quiet rising market calm-up, and uses every label', () => {
    expect(regimeAt(series, '2008-10-31')?.regime).toBe('volatile-down');
    expect(regimeAt(series, '2020-03-31')?.regime).toBe('volatile-down');
    expect(regimeAt(series, '2017-11-30')?.regime).toBe('calm-up');
    const seen = new Set(marketRegimes(series).days.map((day) => day?.regime));
    for (const regime of REGIMES) expect(seen).toContain(regime);
    expect(regimeAt(series, '1999-11-15')).toBeUndefined();
  });

  it('is point in time: changing a later bar leaves every earlier label as it was', () => {
    const before = marketRegimes(series).days.map((day) => day?.regime);
    const cut = series[0]?.dates.indexOf('2010-06-01') as number;
    const shocked = series.map((one, n) => {
      if (n !== 0) return one;
      const adjClose = Float64Array.from(one.adjClose);
      for (let i = cut; i < adjClose.length; i++) adjClose[i] = (adjClose[i] as number) * 0.2;
      return { ...one, adjClose };
    });
    const after = marketRegimes(shocked).days.map((day) => day?.regime);
    const at = marketRegimes(series).dates.indexOf('2010-06-01');
    expect(after.slice(0, at)).toEqual(before.slice(0, at));
    expect(after.slice(at)).not.toEqual(before.slice(at));
  });

  it('names a regime that is not one', () => {
    expect(() => checkRegimes(['calm-up', 'bullish'])).toThrow(
      'regime "bullish" is not one of calm-up, calm-down, volatile-up, volatile-down, sideways',
    );
  });
});
