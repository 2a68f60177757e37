/** Table-driven engine scenarios on hand-written bars: entries, exits, stops, costs, sizing and exact cash. */
import { describe, expect, it } from 'vitest';
import { runBacktest } from './backtest.js';
import { barsFrom } from './test-bars.js';

const fills = (result: ReturnType<typeof runBacktest>) =>
  result.fills.map((f) => `${f.date.slice(5)} ${f.side} ${f.shares}@${f.price} ${f.reason}`);

describe('sma_cross on hand-written bars', () => {
  // fast=1 (the close itself) vs slow=2: the close crosses its 2-bar average.
  const closes = [10, 9, 8, 9, 10, 11, 10, 9, 8, 8];

  it('enters at the next open after a cross up and exits at the next open after a cross down', () => {
    const view = barsFrom(closes);
    const result = runBacktest({
      strategy: 'sma_cross',
      params: { fast: 1, slow: 2 },
      views: [view],
      config: { cash: 1000 },
    });
    // Cross up on bar 3 (9 > avg 8.5 after 8 < 8.5), fill bar 4 open = 9 → floor(1000/9) = 111 shares.
    // Cross down on bar 6 (10 < 10.5), fill bar 7 open = 10.
    expect(fills(result)).toEqual(['01-05 buy 111@9 entry', '01-08 sell 111@10 signal']);
    expect(result.finalEquity).toBe(1000 - 111 * 9 + 111 * 10);
    expect(result.trades[0]).toMatchObject({
      entryDate: '2020-01-05',
      exitDate: '2020-01-08',
      pnl: 111,
      exitReason: 'signal',
      bars: 3,
    });
  });

  it('fills at the signal close with fill=close', () => {
    const result = runBacktest({
      strategy: 'sma_cross',
      params: { fast: 1, slow: 2 },
      views: [barsFrom(closes)],
      config: { cash: 1000, fill: 'close' },
    });
    expect(fills(result)).toEqual(['01-04 buy 111@9 entry', '01-07 sell 111@10 signal']);
  });

  it('treats an exact tie as no cross, and a tie does not reset the memory of which side was above', () => {
    // SMA2 vs SMA1: bar1 9 < 9.5 (below); bar2 9 = 9 (tie); bar3 10 > 9.5 → cross up (below → tie → above).
    // bar4 10 = 10 tie; bar5 11 > 10.5 above again: no new cross (above → tie → above).
    const view = barsFrom([10, 9, 9, 10, 10, 11, 12]);
    const result = runBacktest({
      strategy: 'sma_cross',
      params: { fast: 1, slow: 2 },
      views: [view],
      config: { cash: 100 },
    });
    expect(fills(result)).toEqual(['01-05 buy 10@10 entry']);
  });

  it('buys exactly cash / price shares when that is a whole number', () => {
    const view = barsFrom([10, 9, 8, 9, 12.5, 13]);
    const result = runBacktest({
      strategy: 'sma_cross',
      params: { fast: 1, slow: 2 },
      views: [view],
      config: { cash: 1000 },
    });
    // Signal on bar 3, fill at bar 4's open 9 → 111 shares; with cash 999 it is exactly 111, cash 0.
    const exact = runBacktest({
      strategy: 'sma_cross',
      params: { fast: 1, slow: 2 },
      views: [view],
      config: { cash: 999 },
    });
    expect(result.fills[0]?.shares).toBe(111);
    expect(exact.fills[0]?.shares).toBe(111);
    expect(exact.finalCash).toBe(0);
  });

  it('ignores a cross on the last bar (there is no next open to fill at)', () => {
    const result = runBacktest({
      strategy: 'sma_cross',
      params: { fast: 1, slow: 2 },
      views: [barsFrom([10, 9, 8, 9])],
      config: { cash: 100 },
    });
    expect(result.fills).toEqual([]);
    expect(result.finalEquity).toBe(100);
  });

  it('keeps a position open at the end as a trade marked at the last close, with no fill', () => {
    const result = runBacktest({
      strategy: 'sma_cross',
      params: { fast: 1, slow: 2 },
      views: [barsFrom([10, 9, 8, 9, 10, 12])],
      config: { cash: 100 },
    });
    expect(fills(result)).toEqual(['01-05 buy 11@9 entry']);
    expect(result.trades).toHaveLength(1);
    expect(result.trades[0]).toMatchObject({ exitReason: 'end_of_data', exitPrice: 12, pnl: 33 });
    expect(result.finalEquity).toBe(100 - 99 + 11 * 12);
  });

  it('reverses long to short in long_short runs', () => {
    const result = runBacktest({
      strategy: 'sma_cross',
      params: { fast: 1, slow: 2 },
      views: [barsFrom(closes)],
      config: { cash: 1000, direction: 'long_short' },
    });
    // Bar 1's cross down (9 < 9.5 after nothing) is no cross: no earlier differing bar.
    expect(fills(result).slice(0, 3)).toEqual([
      '01-05 buy 111@9 entry',
      '01-08 sell 111@10 signal',
      '01-08 sell 111@10 entry',
    ]);
    // Cash after the exit is 1000 − 999 + 1110 = 1111, so the short is floor(1111 / 10) = 111 shares.
    expect(result.finalShares).toEqual({ TEST: -111 });
  });
});

describe('exits, orders and costs', () => {
  const rising = [10, 9, 8, 9, 10, 10, 10, 10];

  it('stops out at the stop price inside the bar, and at the open when the bar gaps through it', () => {
    const lows = [10, 9, 8, 9, 9, 8.9, 10, 10];
    const view = barsFrom(rising, { lows });
    const result = runBacktest({
      strategy: 'sma_cross',
      params: { fast: 1, slow: 2 },
      views: [view],
      config: { cash: 1000, stopLoss: 0.01 },
    });
    // Entry 111 @ 9 on bar 4; stop at 8.91; bar 5's low 8.9 touches it → sell at 8.91 (rounded down to the cent).
    expect(fills(result)).toEqual(['01-05 buy 111@9 entry', '01-06 sell 111@8.91 stop_loss']);
    const gap = barsFrom(rising, {
      opens: [10, 10, 9, 8, 9, 8.5, 10, 10],
      lows: [10, 9, 8, 8, 9, 8.4, 10, 10],
    });
    const gapped = runBacktest({
      strategy: 'sma_cross',
      params: { fast: 1, slow: 2 },
      views: [gap],
      config: { cash: 1000, stopLoss: 0.01 },
    });
    expect(fills(gapped)[1]).toBe('01-06 sell 111@8.5 stop_loss');
  });

  it('takes profit at the target and trails a stop below the highest high', () => {
    const highs = [10, 9, 8, 9, 10, 10.5, 12, 12];
    const view = barsFrom([10, 9, 8, 9, 10, 10, 11, 11], {
      highs,
      lows: [10, 9, 8, 9, 9, 9.9, 10, 10.7],
    });
    const profit = runBacktest({
      strategy: 'sma_cross',
      params: { fast: 1, slow: 2 },
      views: [view],
      config: { cash: 1000, takeProfit: 0.2 },
    });
    expect(fills(profit)[1]).toBe('01-07 sell 111@10.8 take_profit');
    const trail = runBacktest({
      strategy: 'sma_cross',
      params: { fast: 1, slow: 2 },
      views: [view],
      config: { cash: 1000, trailingStop: 0.1 },
    });
    // Highest high after bar 6 is 12 → trail 10.8; bar 7's low 10.7 touches it.
    expect(fills(trail)[1]).toBe('01-08 sell 111@10.8 trailing_stop');
  });

  it('fills a limit entry only when price comes down to the limit', () => {
    const view = barsFrom([10, 9, 8, 9, 10, 10], { lows: [10, 9, 8, 9, 8.5, 10] });
    const limit = runBacktest({
      strategy: 'sma_cross',
      params: { fast: 1, slow: 2 },
      views: [view],
      config: { cash: 1000, entryOrder: { type: 'limit', offsetBps: 500 } },
    });
    // Signal close 9 → limit 8.55; bar 4 opens at 9, trades down to 8.5 → filled at 8.55.
    expect(fills(limit)).toEqual(['01-05 buy 116@8.55 entry']);
    const missed = runBacktest({
      strategy: 'sma_cross',
      params: { fast: 1, slow: 2 },
      views: [view],
      config: { cash: 1000, entryOrder: { type: 'limit', offsetBps: 1000 } },
    });
    expect(missed.fills).toEqual([]);
  });

  it('charges commission (per share, bps, minimum) and slippage, keeping cash exact to the cent', () => {
    const view = barsFrom([10, 9, 8, 9, 10, 11, 10, 9, 8, 8]);
    const result = runBacktest({
      strategy: 'sma_cross',
      params: { fast: 1, slow: 2 },
      views: [view],
      config: { cash: 1000, commission: { perShare: 0.01, bps: 10, minimum: 1 }, slippageBps: 10 },
    });
    // Buy at 9 × 1.001 = 9.009 → 9.01 (rounded up); shares: largest q with q·9.01 + max(1, 0.01q + 0.001·q·9.01) ≤ 1000 → 110.
    const [buy, sell] = result.fills;
    expect(buy).toMatchObject({ shares: 110, price: 9.01, commission: 2.09 });
    // Sell at 10 × 0.999 = 9.99; commission 0.01·110 + 0.001·1098.9 = 2.1989 → 2.20.
    expect(sell).toMatchObject({ shares: 110, price: 9.99, commission: 2.2 });
    expect(result.finalCash).toBe(1000 - 110 * 9.01 - 2.09 + 110 * 9.99 - 2.2);
    expect(result.finalCash.toFixed(2)).toBe('1103.51');
  });

  it('sizes by fraction of equity, fixed notional, and allows fractional shares', () => {
    const view = barsFrom([10, 9, 8, 9, 10, 10]);
    const base = { strategy: 'sma_cross', params: { fast: 1, slow: 2 }, views: [view] };
    expect(
      runBacktest({ ...base, config: { cash: 1000, sizing: { kind: 'fraction', fraction: 0.5 } } })
        .fills[0]?.shares,
    ).toBe(55);
    expect(
      runBacktest({ ...base, config: { cash: 1000, sizing: { kind: 'notional', amount: 100 } } })
        .fills[0]?.shares,
    ).toBe(11);
    expect(
      runBacktest({ ...base, config: { cash: 1000, fractional: true } }).fills[0]?.shares,
    ).toBe(111.111111);
  });

  it('refuses bad settings with a message naming the value', () => {
    const view = barsFrom([10, 9, 8, 9]);
    expect(() =>
      runBacktest({ strategy: 'sma_cross', views: [view], config: { cash: -5 } }),
    ).toThrow('cash must be a positive amount, got -5');
    expect(() =>
      runBacktest({ strategy: 'sma_cross', views: [view], config: { slippageBps: -1 } }),
    ).toThrow('slippage must be a number ≥ 0');
    expect(() =>
      runBacktest({ strategy: 'sma_cross', params: { fast: 50, slow: 20 }, views: [view] }),
    ).toThrow('sma_cross: fast (50) must be less than slow (20)');
    expect(() =>
      runBacktest({ strategy: 'sma_cross', params: { fsat: 5 }, views: [view] }),
    ).toThrow('unknown parameter "fsat" for sma_cross; its parameters are fast, slow');
    expect(() => runBacktest({ strategy: 'sma_crosss', views: [view] })).toThrow(
      'unknown strategy "sma_crosss"; valid strategies: sma_cross,',
    );
    expect(() =>
      runBacktest({ strategy: 'sma_cross', params: { fast: 0 }, views: [view] }),
    ).toThrow('fast must be a whole number from 1 to 250, got 0');
    expect(() => runBacktest({ strategy: 'sma_cross', views: [barsFrom([10])] })).toThrow(
      'TEST has 1 bar(s) in the range; a backtest needs at least 2',
    );
  });
});
