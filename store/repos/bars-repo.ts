/** Reading daily bars and what the database holds of them. */
import type { DailyBar } from '../../core/daily-bar.js';
import { toDec } from '../../core/decimal.js';
import type { Pool } from '../db/pool.js';

/** How much market data is stored. */
export interface MarketDataSummary {
  symbols: number;
  bars: number;
  /** ISO dates; undefined when there are no bars. */
  firstDate: string | undefined;
  lastDate: string | undefined;
}

/** Counts symbols and bars and the date span, for the start-up banner and health details. */
export async function marketDataSummary(pool: Pool): Promise<MarketDataSummary> {
  // The BRIN index on date answers min/max quickly; count(*) is a scan, acceptable at start-up.
  const { rows } = await pool.query<{
    symbols: string;
    bars: string;
    first: string | null;
    last: string | null;
  }>(
    'SELECT count(DISTINCT symbol) AS symbols, count(*) AS bars, min(date) AS first, max(date) AS last FROM daily_bars',
  );
  const row = rows[0];
  return {
    symbols: Number(row?.symbols ?? 0),
    bars: Number(row?.bars ?? 0),
    firstDate: row?.first ?? undefined,
    lastDate: row?.last ?? undefined,
  };
}

interface BarRow {
  symbol: string;
  date: string;
  open: string;
  high: string;
  low: string;
  close: string;
  adj_close: string;
  volume: string;
  dividend: string;
  split: string;
}

/** The bars of one symbol from `start` to `end` (inclusive ISO dates), oldest first, as exact decimals. */
export async function dailyBars(
  pool: Pool,
  symbol: string,
  start: string,
  end: string,
): Promise<DailyBar[]> {
  const { rows } = await pool.query<BarRow>(
    `SELECT symbol, date, open, high, low, close, adj_close, volume, dividend, split
       FROM daily_bars WHERE symbol = $1 AND date BETWEEN $2 AND $3 ORDER BY date`,
    [symbol, start, end],
  );
  return rows.map((row) => ({
    symbol: row.symbol,
    date: row.date,
    open: toDec(row.open),
    high: toDec(row.high),
    low: toDec(row.low),
    close: toDec(row.close),
    adjClose: toDec(row.adj_close),
    volume: BigInt(row.volume),
    dividend: toDec(row.dividend),
    split: toDec(row.split),
  }));
}
