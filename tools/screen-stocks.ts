/** screen_stocks: rank the stored universe on one date by weighted cross-sectional factor z-scores. */
import { z } from 'zod';
import {
  DEFAULT_TOP,
  DEFAULT_WEIGHTS,
  FACTOR_NAMES,
  MAX_TOP,
  ScreenRequestError,
  screenStocks,
} from '../core/screening/index.js';
import { MissingDataError } from '../store/market-data/load-series.js';
import { priceCacheOf } from '../store/market-data/price-cache.js';
import { loadUniverse } from '../store/market-data/universe.js';
import { defineTool, isoDate, READ_ONLY, ToolError } from './tool.js';

const defaultWeights = Object.entries(DEFAULT_WEIGHTS)
  .filter(([, weight]) => weight !== 0)
  .map(([factor, weight]) => `${factor} ${weight}`)
  .join(', ');

const input = z.object({
  as_of: isoDate()
    .optional()
    .describe(
      'Screen date, ISO YYYY-MM-DD: only bars on or before it are read. Omitted: the latest stored bar date.',
    ),
  top: z
    .number()
    .int()
    .min(1)
    .max(MAX_TOP)
    .default(DEFAULT_TOP)
    .describe(`Rows to return, 1 to ${MAX_TOP}. Default ${DEFAULT_TOP}.`),
  min_price: z
    .number()
    .min(0)
    .optional()
    .describe('Lowest raw close on the as-of bar, USD. Omitted: no price filter.'),
  min_dollar_volume: z
    .number()
    .min(0)
    .optional()
    .describe('Lowest mean close × volume over the last 20 bars, USD per day. Omitted: no filter.'),
  sectors: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe('Keep only these sectors (e.g. ["Information Technology"]; case does not matter).'),
  above_sma200: z
    .boolean()
    .optional()
    .describe(
      'true: only symbols whose adjusted close is above their 200-day average; false: only those at or below it. Omitted: no trend filter.',
    ),
  weights: z
    .record(z.string(), z.number())
    .optional()
    .describe(
      `Weight per factor (${FACTOR_NAMES.join(', ')}). Given, it is the whole blend (factors left out weigh 0); a negative weight favours the opposite end. Omitted: ${defaultWeights}.`,
    ),
});

const row = z.object({
  rank: z.number().describe('1 = best score.'),
  symbol: z.string().describe('Ticker.'),
  sector: z.string().nullable().describe('Sector, or null when unknown.'),
  date: z.string().describe('ISO date of the bar used (the last on or before as_of).'),
  price: z.number().describe('Raw close on date, USD.'),
  dollar_volume: z.number().describe('Mean close × volume over the last 20 bars, USD per day.'),
  score: z.number().describe('Sum of the contributions (weighted, clipped z-scores).'),
  contributions: z
    .record(z.string(), z.number())
    .describe('weight × z-score per weighted factor (0 when the symbol lacks the factor).'),
  missing: z.array(z.string()).describe('Factors the symbol lacks (too little history).'),
});

const output = z.object({
  as_of: z.string().describe('The screen date.'),
  universe: z.number().describe('Symbols in the universe.'),
  passed: z.number().describe('Symbols that passed every filter and were ranked.'),
  excluded: z
    .record(z.string(), z.number())
    .describe('How many symbols each filter or data problem left out, by reason.'),
  weights: z.record(z.string(), z.number()).describe('The weight of every factor used.'),
  rows: z.array(row).describe('The top symbols by score, best first.'),
  note: z
    .string()
    .optional()
    .describe(
      'Only when no symbol was ranked: why (history needed, or the filters), and what to change.',
    ),
});

function asToolError(error: unknown): unknown {
  if (error instanceof ScreenRequestError || error instanceof MissingDataError) {
    return new ToolError(error.message, 'bad_input');
  }
  return error;
}

export const screenStocksTool = defineTool({
  name: 'screen_stocks',
  title: 'Screen stocks',
  description: `Ranks every symbol in our database on one date (as_of, default the latest bar) by a weighted sum of cross-sectional factor z-scores (clipped to ±3), after optional filters (min_price, min_dollar_volume in USD, sectors, above_sma200). Factors: ${FACTOR_NAMES.join(', ')} (model_score needs model scores and is not available here). Default weights: ${defaultWeights}. Returns the top ${DEFAULT_TOP} rows by default (at most ${MAX_TOP}) with each factor's contribution. Use it to find candidates; it is not advice and trades nothing. Use get_quote or get_bars to look at one symbol, optimize_portfolio to weigh a chosen list.`,
  input,
  output,
  writes: false,
  annotations: READ_ONLY,
  async handler(request, { pool, progress }) {
    try {
      let asOf = request.as_of;
      if (!asOf) {
        const cache = priceCacheOf(pool);
        asOf = cache
          ? await cache.lastDate()
          : ((await pool.query<{ last: string | null }>('SELECT max(date) AS last FROM daily_bars'))
              .rows[0]?.last ?? undefined);
        if (!asOf) {
          throw new ToolError(
            'the database holds no prices; import some with `countersign import <files>`',
            'unavailable',
          );
        }
      }
      progress(0, 2, 'loading the universe');
      const universe = await loadUniverse({ kind: 'database', pool }, { symbols: 'all', to: asOf });
      progress(1, 2, `screening ${universe.series.length} symbols`);
      const result = screenStocks(universe, {
        asOf,
        top: request.top,
        weights: request.weights,
        filters: {
          minPrice: request.min_price,
          minDollarVolume: request.min_dollar_volume,
          sectors: request.sectors,
          aboveSma200: request.above_sma200,
        },
      });
      progress(2, 2, 'done');
      return {
        as_of: result.asOf,
        universe: result.universe,
        passed: result.passed,
        excluded: result.excluded as Record<string, number>,
        weights: result.weights,
        rows: result.rows.map((one) => ({
          rank: one.rank,
          symbol: one.symbol,
          sector: one.sector,
          date: one.date,
          price: one.price,
          dollar_volume: one.dollarVolume,
          score: one.score,
          contributions: one.contributions as Record<string, number>,
          missing: one.missing,
        })),
        ...(result.note === undefined ? {} : { note: result.note }),
      };
    } catch (error) {
      throw asToolError(error);
    }
  },
});
