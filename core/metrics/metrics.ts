/** The performance figures of a backtest: the shape every consumer (CLI, tools, optimizer) reads. */

/** The deepest peak-to-trough fall of the equity curve. */
export interface Drawdown {
  /** Fall from the peak as a positive fraction (0.25 = −25 %); 0 when equity never fell. */
  depth: number;
  /** ISO date of the peak before the fall. */
  peakDate: string;
  /** ISO date of the lowest point. */
  troughDate: string;
  /** ISO date equity first got back to the peak; null when it never did. */
  recoveryDate: string | null;
  /** Bars from peak to recovery (or to the last bar when not recovered). */
  durationBars: number;
  /** Calendar days from peak to recovery (or to the last bar when not recovered). */
  durationDays: number;
}

/**
 * Every figure of a run. Ratios are plain fractions (0.12 = 12 %), annualised with periodsPerYear
 * (default 252) bars a year; the formulas are in figures.ts, trade-figures.ts and drawdown.ts. A
 * figure that is undefined for the run (no trades, zero volatility, no benchmark) is null, never
 * NaN or Infinity, so it survives JSON.
 */
export interface Metrics {
  startDate: string;
  endDate: string;
  bars: number;
  startEquity: number;
  endEquity: number;
  totalReturn: number;
  /** Compounded over calendar time: years = days between first and last date / 365.25. */
  cagr: number | null;
  annualVolatility: number | null;
  sharpe: number | null;
  /** Downside deviation over all bars: √mean(min(0, r − rf/periodsPerYear)²). */
  sortino: number | null;
  calmar: number | null;
  maxDrawdown: Drawdown;
  tradeCount: number;
  /** Trades with pnl > 0 / all trades; a trade at exactly 0 is not a win. */
  winRate: number | null;
  /** Gross profit / gross loss; null when no trade lost. */
  profitFactor: number | null;
  expectancy: number | null;
  averageWin: number | null;
  /** Mean pnl of losing trades in currency, as a NEGATIVE number. */
  averageLoss: number | null;
  averageHoldingBars: number | null;
  /** Highest returnPct of any trade (a fraction). */
  bestTrade: number | null;
  /** Lowest returnPct of any trade (a fraction). */
  worstTrade: number | null;
  /** Mean over bars of gross position value / equity. */
  exposure: number;
  /** (Σ|fill notional| / 2) / mean equity / calendar years; 0 for a single bar. */
  turnover: number;
  /** Net profit / largest fall from a running peak in currency. */
  recoveryFactor: number | null;
  alpha: number | null;
  beta: number | null;
  informationRatio: number | null;
}
