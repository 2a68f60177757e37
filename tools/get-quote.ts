/** get_quote: the latest stored daily bar of one symbol, with the change against the previous close. */
import { z } from 'zod';
import type { Pool } from '../store/db/pool.js';
import { defineTool, READ_ONLY, ToolError } from './tool.js';

const input = z.object({
  symbol: z
    .string()
    .min(1)
    .max(20)
    .describe('Ticker, e.g. "AAPL" or "BRK.B" (case does not matter).'),
});

const output = z.object({
  symbol: z.string().describe('Ticker, upper-case.'),
  currency: z.string().describe('Currency of every price (ISO 4217, e.g. USD).'),
  as_of: z
    .string()
    .describe('ISO date (YYYY-MM-DD) of the bar quoted: the latest stored daily bar.'),
  price: z.number().describe('Last price: the close of the as_of bar (raw, not adjusted).'),
  open: z.number().describe('Open of the as_of bar.'),
  high: z.number().describe('High of the as_of bar.'),
  low: z.number().describe('Low of the as_of bar.'),
  volume: z.number().describe('Shares traded on the as_of bar.'),
  previous_close: z
    .number()
    .nullable()
    .describe('Close of the bar before as_of; null when only one bar is stored.'),
  change: z
    .number()
    .nullable()
    .describe('price − previous_close, in currency; null without a previous bar.'),
  change_pct: z
    .number()
    .nullable()
    .describe('change / previous_close as a fraction (0.01 = 1 %); null without a previous bar.'),
});

type Quote = z.infer<typeof output>;

/**
 * Quotes answered in the last second, per pool. The bars behind a quote change only when prices
 * are imported, so a caller asking again within QUOTE_CACHE_MS gets the same answer without a
 * database round trip; after an import a quote is at most that much behind.
 */
export const QUOTE_CACHE_MS = 1_000;
const MAX_CACHED = 5_000;
const recent = new WeakMap<Pool, Map<string, { quote: Quote; expires: number }>>();

function remember(pool: Pool, symbol: string, quote: Quote): void {
  let quotes = recent.get(pool);
  if (!quotes) {
    quotes = new Map();
    recent.set(pool, quotes);
  }
  if (quotes.size >= MAX_CACHED) quotes.clear();
  quotes.set(symbol, { quote, expires: Date.now() + QUOTE_CACHE_MS });
}

export const getQuote = defineTool({
  name: 'get_quote',
  title: 'Latest quote',
  description:
    'The latest stored daily bar of one symbol: price (= close), open, high, low, volume, and the change versus the previous close (in currency and as a fraction). Prices are raw (not split/dividend adjusted) in the stated currency (USD). Data are end-of-day bars from our database (answers may be up to 1 s old), not live quotes: always read as_of, the bar date. Use it for "what is X trading at"; use get_bars for history or several days.',
  input,
  output,
  writes: false,
  annotations: READ_ONLY,
  async handler({ symbol: raw }, { pool }) {
    const symbol = raw.trim().toUpperCase();
    const cached = recent.get(pool)?.get(symbol);
    if (cached && cached.expires > Date.now()) return cached.quote;
    const { rows } = await pool.query<{
      date: string;
      open: string;
      high: string;
      low: string;
      close: string;
      volume: string;
      previous_close: string | null;
      change: string | null;
      currency: string | null;
    }>(
      `SELECT b.date, b.open, b.high, b.low, b.close, b.volume, b.previous_close,
              b.close - b.previous_close AS change,
              (SELECT currency FROM instruments WHERE symbol = $1) AS currency
         FROM (SELECT date, open, high, low, close, volume,
                      lag(close) OVER (ORDER BY date) AS previous_close
                 FROM (SELECT * FROM daily_bars WHERE symbol = $1 ORDER BY date DESC LIMIT 2) last2
              ) b
        ORDER BY b.date DESC
        LIMIT 1`,
      [symbol],
    );
    const row = rows[0];
    if (!row) {
      throw new ToolError(
        `no prices for ${symbol}: the symbol is unknown or has no bars in the database; check the ticker, or import its prices with \`countersign import <file>\``,
        'not_found',
      );
    }
    const previous = row.previous_close === null ? null : Number(row.previous_close);
    const change = row.change === null ? null : Number(row.change);
    const quote = {
      symbol,
      currency: row.currency ?? 'USD',
      as_of: row.date,
      price: Number(row.close),
      open: Number(row.open),
      high: Number(row.high),
      low: Number(row.low),
      volume: Number(row.volume),
      previous_close: previous,
      change,
      change_pct: change === null || !previous ? null : change / previous,
    };
    remember(pool, symbol, quote);
    return quote;
  },
});
