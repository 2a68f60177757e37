/** Where the paper broker gets its prices: the last daily bar by default, or any other quote feed. */
import type { Pool } from '../../store/db/pool.js';

/** The latest price of one symbol, with the volume traded at it and when it was observed. */
export interface Quote {
  /** Decimal string, > 0. */
  price: string;
  /** Shares traded at this quote (a bar's volume); null when unknown, which puts no cap on fills. */
  volume: string | null;
  /** When the quote was observed: an ISO date for a daily bar, or a date-time. A different `at` is a newer quote. */
  at: string;
}

/** A feed of latest quotes. */
export interface QuoteSource {
  /** The latest quote of `symbol`, or null when there is no price for it. */
  latest(symbol: string): Promise<Quote | null>;
}

/** The default feed: the last row of daily_bars (close as price, its volume, its date as `at`). */
export function dailyBarQuotes(pool: Pool): QuoteSource {
  return {
    async latest(symbol) {
      const { rows } = await pool.query<{ close: string; volume: string; date: string }>(
        `SELECT close::text AS close, volume::text AS volume, to_char(date, 'YYYY-MM-DD') AS date
           FROM daily_bars WHERE symbol = $1 ORDER BY date DESC LIMIT 1`,
        [symbol],
      );
      const row = rows[0];
      return row ? { price: row.close, volume: row.volume, at: row.date } : null;
    },
  };
}

/** A feed held in memory: tests (and demos) set each symbol's quote by hand. */
export interface MemoryQuotes extends QuoteSource {
  set(symbol: string, quote: Quote): void;
  delete(symbol: string): void;
}

/** A MemoryQuotes starting with `initial`. */
export function memoryQuotes(initial: Record<string, Quote> = {}): MemoryQuotes {
  const quotes = new Map(Object.entries(initial));
  return {
    async latest(symbol) {
      return quotes.get(symbol) ?? null;
    },
    set(symbol, quote) {
      quotes.set(symbol, { ...quote });
    },
    delete(symbol) {
      quotes.delete(symbol);
    },
  };
}
