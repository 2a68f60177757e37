/** The latest price of each symbol: the reference price at proposal time and the drift guard at approval time. */
import type { Pool } from '../store/db/pool.js';

/** A price and when it was observed (an ISO date for a daily close, or a date-time for a quote). */
export interface LatestPrice {
  price: string;
  at: string;
}

/** Where orders/ reads prices. Tests and the paper broker's quote feed can stand in for the database. */
export interface PriceSource {
  latest(symbols: string[]): Promise<Map<string, LatestPrice>>;
}

/** The last daily close of each symbol, one query for any number of symbols. */
export function databasePrices(pool: Pool): PriceSource {
  return {
    async latest(symbols) {
      const { rows } = await pool.query<{ symbol: string; close: string; date: string }>(
        // One backward index probe per symbol (LATERAL … LIMIT 1), not a scan of every bar.
        `SELECT s.symbol, b.close::text AS close, to_char(b.date, 'YYYY-MM-DD') AS date
           FROM unnest($1::text[]) AS s(symbol)
           CROSS JOIN LATERAL (
             SELECT close, date FROM daily_bars WHERE symbol = s.symbol ORDER BY date DESC LIMIT 1
           ) AS b`,
        [symbols],
      );
      return new Map(rows.map((row) => [row.symbol, { price: row.close, at: row.date }]));
    },
  };
}
