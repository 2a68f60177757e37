/** The trade figures of a run, each defined once here with its formula. */

// A trade whose pnl is exactly 0 is neither a win nor a loss, but it still counts as a trade
// (it dilutes the win rate): a scratch trade still tied up capital and paid commissions.
import type { Trade } from '../engine/trade.js';

/** What one pass over the trades gathers; every trade figure is a formula on it. */
export interface TradeSummary {
  count: number;
  /** Trades with pnl > 0. */
  wins: number;
  /** Trades with pnl < 0. */
  losses: number;
  /** Σ pnl of winning trades (currency, ≥ 0). */
  grossProfit: number;
  /** Σ |pnl| of losing trades (currency, ≥ 0). */
  grossLoss: number;
  /** Σ pnl of all trades (currency). */
  netPnl: number;
  /** Σ bars held. */
  holdingBars: number;
  /** Highest returnPct; −Infinity when there are no trades. */
  bestReturn: number;
  /** Lowest returnPct; +Infinity when there are no trades. */
  worstReturn: number;
}

/** Gathers the sums and extremes the trade figures need, in one pass. */
export function summarizeTrades(trades: readonly Trade[]): TradeSummary {
  const summary: TradeSummary = {
    count: trades.length,
    wins: 0,
    losses: 0,
    grossProfit: 0,
    grossLoss: 0,
    netPnl: 0,
    holdingBars: 0,
    bestReturn: Number.NEGATIVE_INFINITY,
    worstReturn: Number.POSITIVE_INFINITY,
  };
  for (const trade of trades) {
    const pnl = trade.pnl;
    if (pnl > 0) {
      summary.wins++;
      summary.grossProfit += pnl;
    } else if (pnl < 0) {
      summary.losses++;
      summary.grossLoss -= pnl;
    }
    summary.netPnl += pnl;
    summary.holdingBars += trade.bars;
    if (trade.returnPct > summary.bestReturn) summary.bestReturn = trade.returnPct;
    if (trade.returnPct < summary.worstReturn) summary.worstReturn = trade.returnPct;
  }
  return summary;
}

/** Win rate: trades with pnl > 0 / all trades (a pnl of exactly 0 is not a win). Null with no trades. */
export function winRate(summary: TradeSummary): number | null {
  return summary.count > 0 ? summary.wins / summary.count : null;
}

/**
 * Profit factor: gross profit / gross loss (Σ pnl of winners / Σ |pnl| of losers). Null when no
 * trade lost, since the ratio would be infinite; 0 when trades lost but none won.
 */
export function profitFactor(summary: TradeSummary): number | null {
  return summary.losses > 0 ? summary.grossProfit / summary.grossLoss : null;
}

/** Expectancy: mean pnl per trade in currency, Σ pnl / trades. Null with no trades. */
export function expectancy(summary: TradeSummary): number | null {
  return summary.count > 0 ? summary.netPnl / summary.count : null;
}

/** Average win: gross profit / winning trades, in currency (positive). Null with no winners. */
export function averageWin(summary: TradeSummary): number | null {
  return summary.wins > 0 ? summary.grossProfit / summary.wins : null;
}

/**
 * Average loss: mean pnl of losing trades in currency, reported NEGATIVE (−gross loss / losers),
 * so that expectancy = winRate × averageWin + lossRate × averageLoss. Null with no losers.
 */
export function averageLoss(summary: TradeSummary): number | null {
  return summary.losses > 0 ? -summary.grossLoss / summary.losses : null;
}

/** Average holding period: Σ bars held / trades (0 for a trade closed on its entry bar). Null with no trades. */
export function averageHoldingBars(summary: TradeSummary): number | null {
  return summary.count > 0 ? summary.holdingBars / summary.count : null;
}

/** Best trade: the highest returnPct (pnl / entry notional), a fraction. Null with no trades. */
export function bestTrade(summary: TradeSummary): number | null {
  return summary.count > 0 ? summary.bestReturn : null;
}

/** Worst trade: the lowest returnPct (pnl / entry notional), a fraction. Null with no trades. */
export function worstTrade(summary: TradeSummary): number | null {
  return summary.count > 0 ? summary.worstReturn : null;
}
