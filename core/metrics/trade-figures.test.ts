/** Trade figures on hand-written trades: what counts as a win, and the sign of the average loss. */
import { describe, expect, it } from 'vitest';
import type { Trade } from '../engine/trade.js';
import {
  averageHoldingBars,
  averageLoss,
  averageWin,
  bestTrade,
  expectancy,
  profitFactor,
  summarizeTrades,
  winRate,
  worstTrade,
} from './trade-figures.js';

function trade(pnl: number, returnPct: number, bars: number): Trade {
  return {
    symbol: 'AAA',
    direction: pnl >= 0 ? 'long' : 'short',
    entryDate: '2024-01-01',
    entryPrice: 100,
    exitDate: '2024-01-05',
    exitPrice: 100,
    quantity: 10,
    pnl,
    returnPct,
    bars,
    exitReason: 'signal',
  };
}

const figures = (trades: Trade[]) => {
  const summary = summarizeTrades(trades);
  return {
    count: summary.count,
    winRate: winRate(summary),
    profitFactor: profitFactor(summary),
    expectancy: expectancy(summary),
    averageWin: averageWin(summary),
    averageLoss: averageLoss(summary),
    averageHoldingBars: averageHoldingBars(summary),
    bestTrade: bestTrade(summary),
    worstTrade: worstTrade(summary),
  };
};

describe('trade figures', () => {
  it.each([
    {
      // Wins 100 + 30 = 130, losses 50 + 20 = 70, one trade at exactly 0 that is no win.
      // Best and worst go by returnPct: the 30 win was the better trade, the 20 loss the worse.
      name: 'mixed trades with one at exactly zero',
      trades: [
        trade(100, 0.05, 3),
        trade(-50, -0.02, 5),
        trade(0, 0, 1),
        trade(30, 0.1, 10),
        trade(-20, -0.04, 1),
      ],
      expected: {
        count: 5,
        winRate: 2 / 5,
        profitFactor: 130 / 70,
        expectancy: 60 / 5,
        averageWin: 65,
        averageLoss: -35,
        averageHoldingBars: 20 / 5,
        bestTrade: 0.1,
        worstTrade: -0.04,
      },
    },
    {
      name: 'only losers: profit factor 0, no average win',
      trades: [trade(-10, -0.01, 2), trade(-30, -0.03, 0)],
      expected: {
        count: 2,
        winRate: 0,
        profitFactor: 0,
        expectancy: -20,
        averageWin: null,
        averageLoss: -20,
        averageHoldingBars: 1,
        bestTrade: -0.01,
        worstTrade: -0.03,
      },
    },
    {
      name: 'only winners: profit factor null, not infinite',
      trades: [trade(10, 0.01, 2), trade(30, 0.03, 4)],
      expected: {
        count: 2,
        winRate: 1,
        profitFactor: null,
        expectancy: 20,
        averageWin: 20,
        averageLoss: null,
        averageHoldingBars: 3,
        bestTrade: 0.03,
        worstTrade: 0.01,
      },
    },
    {
      name: 'only flat trades: no wins, no losses, still trades',
      trades: [trade(0, 0, 7)],
      expected: {
        count: 1,
        winRate: 0,
        profitFactor: null,
        expectancy: 0,
        averageWin: null,
        averageLoss: null,
        averageHoldingBars: 7,
        bestTrade: 0,
        worstTrade: 0,
      },
    },
    {
      name: 'no trades',
      trades: [],
      expected: {
        count: 0,
        winRate: null,
        profitFactor: null,
        expectancy: null,
        averageWin: null,
        averageLoss: null,
        averageHoldingBars: null,
        bestTrade: null,
        worstTrade: null,
      },
    },
  ])('$name', ({ trades, expected }) => {
    expect(figures(trades)).toEqual(expected);
  });

  it('expectancy = winRate × averageWin + lossRate × averageLoss when no trade is flat', () => {
    const summary = summarizeTrades([
      trade(40, 0.04, 1),
      trade(-10, -0.01, 1),
      trade(-15, -0.02, 1),
    ]);
    const lossRate = summary.losses / summary.count;
    const recombined =
      (winRate(summary) as number) * (averageWin(summary) as number) +
      lossRate * (averageLoss(summary) as number);
    expect(recombined).toBeCloseTo(expectancy(summary) as number, 12);
    expect(expectancy(summary)).toBeCloseTo(5, 12);
  });
});
