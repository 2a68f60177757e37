/**
 * Adjusted price mode: signals on adjusted prices, fills at traded prices, splits applied to the
 * shares held and dividends credited to cash, so equity follows the adjusted total return.
 */
import { describe, expect, it } from 'vitest';
import { sampleLines } from '../../test/helpers/fixtures.js';
import { loadSampleSeries } from '../../test/helpers/sample-series.js';
import { buildPanel } from '../series/panel.js';
import {
  corporateActions,
  DEFAULT_PRICE_MODE,
  type PriceSeries,
  priceView,
} from '../series/price-series.js';
import { strategyByName } from '../strategies/index.js';
import { parseStrategyParams } from '../strategies/params.js';
import { runBacktest } from './backtest.js';
import { resolveEngineConfig } from './config.js';
import { simulate } from './simulate.js';

/**
 * A series from traded closes (open = previous close) with adj_close built the way the data
 * defines it: backwards from the last bar, each earlier bar scaled by close/(close + dividend)
 * and divided by the split of the later day.
 */
function seriesWith(
  closes: number[],
  actions: Record<number, { split?: number; dividend?: number }>,
): PriceSeries {
  const n = closes.length;
  const adj = new Float64Array(n);
  let factor = 1;
  for (let i = n - 1; i >= 0; i--) {
    adj[i] = (closes[i] as number) * factor;
    const next = actions[i];
    if (next) {
      const c = closes[i] as number;
      factor = (factor * c) / (c + (next.dividend ?? 0)) / (next.split ?? 1);
    }
  }
  const open = Float64Array.from(closes, (c, i) => (i === 0 ? c : (closes[i - 1] as number)));
  // A split day opens at the new price: the day before's close divided by the split.
  for (const [day, action] of Object.entries(actions))
    open[Number(day)] = (closes[Number(day) - 1] as number) / (action.split ?? 1);
  const close = Float64Array.from(closes);
  const start = Date.UTC(2020, 0, 1);
  return {
    symbol: 'TEST',
    dates: Array.from({ length: n }, (_, i) =>
      new Date(start + i * 86_400_000).toISOString().slice(0, 10),
    ),
    open,
    high: Float64Array.from(close, (c, i) => Math.max(c, open[i] as number)),
    low: Float64Array.from(close, (c, i) => Math.min(c, open[i] as number)),
    close,
    adjClose: adj,
    volume: new Float64Array(n).fill(1000),
    scale: 100,
  };
}

const fills = (result: ReturnType<typeof runBacktest>) =>
  result.fills.map((f) => `${f.date.slice(5)} ${f.side} ${f.shares}@${f.price}`);

describe('adjusted mode on a 2-for-1 split', () => {
  // Bought at 100 on bar 1; the stock splits 2:1 on bar 4 (close 104 → 52.5).
  const closes = [100, 100, 102, 104, 52.5, 53, 54];
  const series = seriesWith(closes, { 4: { split: 2 } });

  it('derives the split from the adjustment factor', () => {
    const { split, dividend } = corporateActions(series);
    expect(Array.from(split)).toEqual([1, 1, 1, 1, 2, 1, 1]);
    expect(Array.from(dividend)).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it('keeps equity continuous, doubles the shares and fills at traded prices', () => {
    const result = runBacktest({
      strategy: 'buy_and_hold',
      views: [priceView(series, 'adjusted')],
      config: { cash: 10_000 },
    });
    expect(fills(result)).toEqual(['01-02 buy 100@100']);
    expect(result.finalShares).toEqual({ TEST: 200 });
    expect(result.corporateActions).toEqual({ dividends: 0, splitsApplied: 1 });
    // 100 shares × 104 the day before the split, 200 × 52.5 on it: a 0.96 % rise, not a 50 % fall.
    const equity = Array.from(result.curve.equity);
    expect(equity.slice(1)).toEqual([10_000, 10_200, 10_400, 10_500, 10_600, 10_800]);
    expect(result.finalEquity).toBe(200 * 54);
    expect(result.metrics.maxDrawdown.depth).toBe(0);
    expect(result.trades[0]).toMatchObject({ quantity: 200, entryPrice: 50, exitPrice: 54 });
    expect(result.trades[0]?.pnl).toBe(800);
  });

  it('raw mode still reads the split as a fall', () => {
    const result = runBacktest({
      strategy: 'buy_and_hold',
      views: [priceView(series, 'raw')],
      config: { cash: 10_000 },
    });
    expect(result.finalShares).toEqual({ TEST: 100 });
    expect(result.finalEquity).toBe(100 * 54);
    expect(result.corporateActions).toEqual({ dividends: 0, splitsApplied: 0 });
  });

  it('sells after the split at the traded price with the post-split share count', () => {
    // fast 1 / slow 2 (adjusted closes 50, 49.5, 50.5, 52, 53, 51, 52, 50): a cross up on bar 2
    // fills at bar 3's open (101, before the split); the cross down on bar 5 at bar 6's open (51).
    const falling = seriesWith([100, 99, 101, 104, 53, 51, 52, 50], { 4: { split: 2 } });
    const result = runBacktest({
      strategy: 'sma_cross',
      params: { fast: 1, slow: 2 },
      views: [priceView(falling, 'adjusted')],
      config: { cash: 10_000 },
    });
    expect(fills(result)).toEqual(['01-04 buy 99@101', '01-07 sell 198@51', '01-08 buy 194@52']);
    expect(result.finalEquity).toBe(10_000 - 99 * 101 + 198 * 51 - 194 * 52 + 194 * 50);
  });

  it('pays cash in lieu for the fraction of a share a 3-for-2 split leaves', () => {
    const odd = seriesWith([100, 100, 100, 67, 68], { 3: { split: 1.5 } });
    const result = runBacktest({
      strategy: 'buy_and_hold',
      views: [priceView(odd, 'adjusted')],
      config: { cash: 10_100 },
    });
    // 101 shares → 151.5: 151 kept, half a share paid at 100 / 1.5.
    expect(result.finalShares).toEqual({ TEST: 151 });
    expect(result.finalCash).toBeCloseTo(0.5 * (100 / 1.5), 2);
  });
});

describe('adjusted mode credits dividends', () => {
  const closes = [50, 50, 51, 49.5, 50, 52];
  const series = seriesWith(closes, { 3: { dividend: 2 } });

  it('derives the dividend to the cent from the factor', () => {
    expect(Array.from(corporateActions(series).dividend)).toEqual([0, 0, 0, 2, 0, 0]);
  });

  it('credits shares × dividend to cash on the ex-date, in the trade pnl too', () => {
    const result = runBacktest({
      strategy: 'buy_and_hold',
      views: [priceView(series, 'adjusted')],
      config: { cash: 10_000 },
    });
    expect(fills(result)).toEqual(['01-02 buy 200@50']);
    expect(result.corporateActions).toEqual({ dividends: 400, splitsApplied: 0 });
    expect(result.finalCash).toBe(400);
    expect(result.finalEquity).toBe(400 + 200 * 52);
    expect(result.trades[0]?.pnl).toBe(200 * (52 - 50) + 400);
    // Fully invested until the ex-date, equity moves exactly as the adjusted close does; after
    // it, the dividend waits in cash (a strategy reinvests it at its next entry).
    const equity = result.curve.equity;
    const adj = series.adjClose;
    for (let i = 2; i <= 3; i++)
      expect((equity[i] as number) / (equity[i - 1] as number)).toBeCloseTo(
        (adj[i] as number) / (adj[i - 1] as number),
        12,
      );
  });

  it('a short pays the dividend', () => {
    // fast 1 / slow 2, long_short, fills at the close: 51 above its average, then 49 below it:
    // short at bar 2's close, held through the ex-date on bar 4.
    const view = priceView(
      seriesWith([50, 51, 49, 48, 47, 46], { 4: { dividend: 1 } }),
      'adjusted',
    );
    const result = runBacktest({
      strategy: 'sma_cross',
      params: { fast: 1, slow: 2 },
      views: [view],
      config: { cash: 10_000, direction: 'long_short', fill: 'close' },
    });
    const short = result.fills[0];
    expect(short).toMatchObject({ date: '2020-01-03', side: 'sell', price: 49 });
    expect(result.fills).toHaveLength(1);
    expect(result.corporateActions.dividends).toBe(-(short?.shares ?? 0));
    expect(result.finalEquity).toBe(10_000 + (short?.shares ?? 0) * (49 - 46 - 1));
  });
});

describe('adjusted mode on real data', () => {
  it('finds AAPL’s four splits and its dividends as the source lists them', async () => {
    const [series] = await loadSampleSeries(['AAPL']);
    const { split, dividend } = corporateActions(series as PriceSeries);
    const rows = (await sampleLines('AAPL')).slice(1).map((line) => line.split(','));
    const splits = rows.flatMap((row, i) => (split[i] !== 1 ? [`${row[0]} ${split[i]}`] : []));
    expect(splits).toEqual(['2000-06-21 2', '2005-02-28 2', '2014-06-09 7', '2020-08-31 4']);
    const listed = rows.flatMap((row, i) => (Number(row[7]) > 0 ? [[i, Number(row[7])]] : []));
    expect(listed.length).toBeGreaterThan(30);
    for (const [i, amount] of listed)
      expect(dividend[i as number]).toBeCloseTo(amount as number, 4);
    expect(dividend.filter((d) => d > 0).length).toBe(listed.length);
  });

  it('is the default, and AAPL sma_cross 10/50 returns thousands of percent, not 36 %', async () => {
    const [series] = await loadSampleSeries(['AAPL']);
    const run = (mode: 'raw' | 'adjusted') =>
      runBacktest({
        strategy: 'sma_cross',
        params: { fast: 10, slow: 50 },
        views: [priceView(series as PriceSeries, mode)],
      });
    expect(DEFAULT_PRICE_MODE).toBe('adjusted');
    const adjusted = run(DEFAULT_PRICE_MODE);
    const raw = run('raw');
    expect(raw.metrics.totalReturn).toBeLessThan(1);
    expect(adjusted.metrics.totalReturn).toBeGreaterThan(30);
    expect(adjusted.inputs.priceMode).toBe('adjusted');
    // Every fill is at a price that traded that day, in whole shares.
    const byDate = new Map(
      (series as PriceSeries).dates.map((date, i) => [date, (series as PriceSeries).open[i]]),
    );
    for (const fill of adjusted.fills) {
      expect(fill.price).toBe(byDate.get(fill.date));
      expect(Number.isInteger(fill.shares)).toBe(true);
    }
    expect(adjusted.corporateActions.splitsApplied).toBeGreaterThan(0);
    expect(adjusted.corporateActions.dividends).toBeGreaterThan(0);
  });

  it('buy and hold books every split to the shares and every dividend to cash', async () => {
    const [series] = await loadSampleSeries(['KO']);
    const view = priceView(series as PriceSeries, 'adjusted');
    const strategy = strategyByName('buy_and_hold');
    const run = simulate(
      strategy,
      parseStrategyParams(strategy, {}),
      buildPanel([view]),
      resolveEngineConfig({ fractional: true }),
    );
    const T = run.dates.length;
    const ko = series as PriceSeries;
    const { split, dividend } = corporateActions(ko);
    const bought = run.fills[0]?.shares ?? 0;
    let shares = bought;
    let income = 0;
    for (let i = 2; i < T; i++) {
      shares = Math.floor(shares * (split[i] as number) * 1e6 + 1e-9) / 1e6;
      income += Math.round(shares * (dividend[i] as number) * ko.scale) / ko.scale;
    }
    expect(run.fills).toHaveLength(1);
    expect(run.finalShares.KO).toBe(shares);
    expect(shares).toBeCloseTo(bought * 2, 5); // KO split 2:1 in 2012
    expect(run.dividends).toBeCloseTo(income, 6);
    expect(run.finalCash).toBeCloseTo(income, 6);
    // Dividends wait in cash instead of buying more shares, so equity ends below the benchmark
    // (which compounds the adjusted close), by the growth the reinvested dividends would have had.
    const ratio = (run.equity[T - 1] as number) / (run.benchmark[T - 1] as number);
    expect(ratio).toBeGreaterThan(0.7);
    expect(ratio).toBeLessThan(1);
  });
});
