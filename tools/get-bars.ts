/** get_bars: the daily bars of one symbol over a date range, raw or split/dividend adjusted. */
import { z } from 'zod';
import { defineTool, isoDate, READ_ONLY, ToolError } from './tool.js';

/** The most bars one call returns. */
export const MAX_BARS = 1000;
/** Bars returned when no start date is given. */
export const DEFAULT_BARS = 60;

const input = z.object({
  symbol: z.string().min(1).max(20).describe('Ticker, e.g. "AAPL" (case does not matter).'),
  start: isoDate()
    .optional()
    .describe('First date, ISO YYYY-MM-DD, inclusive. Omitted: the last `limit` bars up to end.'),
  end: isoDate()
    .optional()
    .describe('Last date, ISO YYYY-MM-DD, inclusive. Omitted: the latest stored bar.'),
  limit: z
    .number()
    .int()
    .min(1)
    .max(MAX_BARS)
    .optional()
    .describe(
      `Most bars to return, 1 to ${MAX_BARS}; the most recent ones in the range are kept. Default ${DEFAULT_BARS} without start, ${MAX_BARS} with start.`,
    ),
  price_mode: z
    .enum(['raw', 'adjusted'])
    .default('raw')
    .describe(
      'raw: prices as traded. adjusted: open/high/low/close scaled for splits and dividends (close = adjusted close), rounded to 1e-6. Default raw.',
    ),
});

const bar = z.object({
  date: z.string().describe('ISO date YYYY-MM-DD.'),
  open: z.number().describe('Open price.'),
  high: z.number().describe('High price.'),
  low: z.number().describe('Low price.'),
  close: z.number().describe('Close price.'),
  volume: z.number().describe('Shares traded.'),
});

const output = z.object({
  symbol: z.string().describe('Ticker, upper-case.'),
  currency: z.string().describe('Currency of every price (e.g. USD).'),
  price_mode: z.enum(['raw', 'adjusted']).describe('Whether prices are raw or adjusted.'),
  first: z.string().describe('Date of the first bar returned.'),
  last: z.string().describe('Date of the last bar returned (the as-of date of the data).'),
  count: z.number().describe('Number of bars returned.'),
  truncated: z
    .boolean()
    .describe(
      'True when the range held more bars than `limit`: only the most recent are returned.',
    ),
  bars: z.array(bar).describe('Daily bars, oldest first.'),
});

export const getBars = defineTool({
  name: 'get_bars',
  title: 'Daily price bars',
  description: `Daily OHLCV bars of one symbol from our database, oldest first, between start and end (inclusive ISO dates). Without start: the last ${DEFAULT_BARS} bars up to end (or up to the latest bar). At most ${MAX_BARS} bars per call; a longer range returns its most recent ${MAX_BARS} with truncated = true, so narrow the range or page by end date. price_mode raw (default) gives traded prices, as get_quote and the fills of a backtest show them; adjusted scales for splits and dividends (use it for returns over long spans; it is what run_backtest's signals see by default). Prices in the stated currency (USD); volume in shares. Use get_quote for just the latest price, run_backtest to test a strategy rather than reading bars.`,
  input,
  output,
  writes: false,
  annotations: READ_ONLY,
  async handler({ symbol: raw, start, end, limit, price_mode }, { pool }) {
    const symbol = raw.trim().toUpperCase();
    if (start && end && start > end) {
      throw new ToolError(`start ${start} is after end ${end}; give start ≤ end`, 'bad_input');
    }
    const max = limit ?? (start ? MAX_BARS : DEFAULT_BARS);
    const adjusted = price_mode === 'adjusted';
    const price = (column: string) =>
      adjusted ? `round(${column} * adj_close / close, 6)` : column;
    const { rows } = await pool.query<{
      date: string;
      open: string;
      high: string;
      low: string;
      close: string;
      volume: string;
      total: string;
      currency: string | null;
    }>(
      `SELECT date, ${price('open')} AS open, ${price('high')} AS high, ${price('low')} AS low,
              ${adjusted ? 'adj_close' : 'close'} AS close, volume, count(*) OVER () AS total,
              (SELECT currency FROM instruments WHERE symbol = $1) AS currency
         FROM daily_bars
        WHERE symbol = $1 AND ($2::date IS NULL OR date >= $2) AND ($3::date IS NULL OR date <= $3)
        ORDER BY date DESC
        LIMIT $4`,
      [symbol, start ?? null, end ?? null, max],
    );
    if (rows.length === 0) {
      const { rows: span } = await pool.query<{ first: string | null; last: string | null }>(
        'SELECT min(date) AS first, max(date) AS last FROM daily_bars WHERE symbol = $1',
        [symbol],
      );
      const info = span[0];
      if (!info?.first) {
        throw new ToolError(
          `no prices for ${symbol}: the symbol is unknown or has no bars in the database; check the ticker`,
          'not_found',
        );
      }
      throw new ToolError(
        `no bars for ${symbol} between ${start ?? 'the start'} and ${end ?? 'the end'}; its data spans ${info.first} to ${info.last}`,
        'bad_input',
      );
    }
    rows.reverse();
    const bars = rows.map((row) => ({
      date: row.date,
      open: Number(row.open),
      high: Number(row.high),
      low: Number(row.low),
      close: Number(row.close),
      volume: Number(row.volume),
    }));
    const first = rows[0];
    return {
      symbol,
      currency: first?.currency ?? 'USD',
      price_mode,
      first: bars[0]?.date ?? '',
      last: bars[bars.length - 1]?.date ?? '',
      count: bars.length,
      truncated: Number(first?.total ?? 0) > bars.length,
      bars,
    };
  },
});
