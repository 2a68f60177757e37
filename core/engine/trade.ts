/** The records a backtest produces: fills and round-trip trades. */

/** Why a position was closed. */
export type ExitReason =
  | 'signal'
  | 'stop_loss'
  | 'take_profit'
  | 'trailing_stop'
  | 'rebalance'
  | 'end_of_data';

/** One execution in a backtest. Prices in the series' currency; `shares` is always positive. */
export interface Fill {
  symbol: string;
  /** ISO date of the bar the fill happened on. */
  date: string;
  side: 'buy' | 'sell';
  shares: number;
  price: number;
  /** Commission charged on this fill (currency). */
  commission: number;
  /** Slippage cost on this fill versus the undisturbed price (currency, ≥ 0). */
  slippage: number;
  /** Why this fill happened: an entry, or the exit reason. */
  reason: 'entry' | ExitReason;
}

/** One round trip: a position opened and closed (or still open at the end: `exitReason` 'end_of_data'). */
export interface Trade {
  symbol: string;
  direction: 'long' | 'short';
  entryDate: string;
  entryPrice: number;
  exitDate: string;
  exitPrice: number;
  /** Shares held (positive for both directions). */
  quantity: number;
  /** Profit or loss in currency, after commissions and slippage of both legs. */
  pnl: number;
  /** pnl divided by the entry notional (entryPrice × quantity). */
  returnPct: number;
  /** Bars from entry fill to exit fill (0 when closed on the entry bar). */
  bars: number;
  exitReason: ExitReason;
}
