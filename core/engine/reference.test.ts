/**
 * sma_cross checked against an independent, deliberately naive exact implementation (decimal.js,
 * window sums recomputed from scratch every bar) on real prices, and the fast single-symbol loop
 * checked against the general calendar loop on every strategy.
 */
import { describe, expect, it } from 'vitest';
import { sampleLines } from '../../test/helpers/fixtures.js';
import { Dec } from '../decimal.js';
import { buildPanel } from '../series/panel.js';
import { type PriceSeries, priceView } from '../series/price-series.js';
import { STRATEGIES, strategyByName } from '../strategies/index.js';
import { parseStrategyParams } from '../strategies/params.js';
import { runBacktest } from './backtest.js';
import { resolveEngineConfig } from './config.js';
import { simulate } from './simulate.js';

async function sample(
  symbol: string,
): Promise<{ series: PriceSeries; opens: string[]; closes: string[] }> {
  const rows = (await sampleLines(symbol)).slice(1).map((line) => line.split(','));
  const number = (k: number) => Float64Array.from(rows, (row) => Number(row[k]));
  const decimals = Math.max(
    ...rows.flatMap((row) => row.slice(1, 5).map((cell) => (cell.split('.')[1] ?? '').length)),
  );
  return {
    series: {
      symbol,
      dates: rows.map((row) => row[0] as string),
      open: number(1),
      high: number(2),
      low: number(3),
      close: number(4),
      adjClose: number(5),
      volume: number(6),
      scale: 10 ** decimals,
    },
    opens: rows.map((row) => row[1] as string),
    closes: rows.map((row) => row[4] as string),
  };
}

/** The rules of the issue, spelled out with exact decimals and no cleverness. */
function naiveSmaCross(
  dates: string[],
  opens: string[],
  closes: string[],
  fast: number,
  slow: number,
) {
  const close = closes.map((c) => new Dec(c));
  let cash = new Dec(100_000);
  let shares = 0;
  let last = 0;
  let pending = 0;
  const fills: { date: string; side: string; shares: number; price: string }[] = [];
  for (let t = 0; t < close.length; t++) {
    if (pending !== 0) {
      const price = new Dec(opens[t] as string);
      if (pending > 0 && shares === 0) {
        const qty = cash.div(price).floor().toNumber();
        if (qty > 0) {
          shares = qty;
          cash = cash.minus(price.times(qty));
          fills.push({
            date: dates[t] as string,
            side: 'buy',
            shares: qty,
            price: price.toString(),
          });
        }
      } else if (pending < 0 && shares > 0) {
        cash = cash.plus(price.times(shares));
        fills.push({ date: dates[t] as string, side: 'sell', shares, price: price.toString() });
        shares = 0;
      }
      pending = 0;
    }
    if (t >= slow - 1) {
      const sum = (n: number) =>
        close.slice(t - n + 1, t + 1).reduce((a, b) => a.plus(b), new Dec(0));
      const diff = sum(fast).div(fast).minus(sum(slow).div(slow));
      const side = diff.isZero() ? 0 : diff.isPositive() ? 1 : -1;
      if (side !== 0) {
        if (last !== 0 && side !== last && t + 1 < close.length) pending = side;
        last = side;
      }
    }
  }
  return { fills, finalEquity: cash.plus(close[close.length - 1]?.times(shares) ?? 0).toString() };
}

describe('sma_cross against a naive exact implementation', () => {
  it.each([
    ['AAPL', 10, 50],
    ['KO', 5, 20],
    ['JNJ', 15, 40],
    ['XOM', 20, 200],
  ])(
    '%s fast=%i slow=%i: the same fills and final equity to the cent',
    async (symbol, fast, slow) => {
      const { series, opens, closes } = await sample(symbol);
      const result = runBacktest({
        strategy: 'sma_cross',
        params: { fast, slow },
        views: [priceView(series, 'raw')],
      });
      const naive = naiveSmaCross(series.dates, opens, closes, fast, slow);
      expect(
        result.fills.map((f) => ({
          date: f.date,
          side: f.side,
          shares: f.shares,
          price: new Dec(f.price).toString(),
        })),
      ).toEqual(naive.fills);
      expect(new Dec(result.finalEquity).toFixed(2)).toBe(new Dec(naive.finalEquity).toFixed(2));
      expect(naive.fills.length).toBeGreaterThan(10);
    },
    60_000,
  );
});

describe('the single-symbol loop and the general loop agree', () => {
  const perSymbol = STRATEGIES.filter((strategy) => strategy.kind === 'per_symbol');
  it.each(perSymbol.map((strategy) => strategy.name))(
    '%s, in every fill and the final equity',
    async (name) => {
      const { series } = await sample('MSFT');
      const view = priceView(series, 'adjusted');
      for (const config of [
        {},
        { fill: 'close' as const, direction: 'long_short' as const },
        {
          commission: { perShare: 0.005, bps: 2, minimum: 1 },
          slippageBps: 5,
          sizing: { kind: 'fraction' as const, fraction: 0.6 },
        },
        { fractional: true, sizing: { kind: 'notional' as const, amount: 25_000 } },
      ]) {
        const strategy = strategyByName(name);
        const params = parseStrategyParams(strategy, {});
        const resolved = resolveEngineConfig(config);
        const panel = buildPanel([view]);
        const fast = simulate(strategy, params, panel, resolved);
        const general = simulate(strategy, params, panel, resolved, undefined, 'general');
        expect(fast.fills.length).toBeGreaterThan(name === 'buy_and_hold' ? 0 : 1);
        expect(fast.fills).toEqual(general.fills);
        expect(fast.trades).toEqual(general.trades);
        expect(fast.finalEquity).toBe(general.finalEquity);
        expect(Array.from(fast.equity)).toEqual(Array.from(general.equity));
        expect(Array.from(fast.exposure)).toEqual(Array.from(general.exposure));
      }
    },
    60_000,
  );
});
