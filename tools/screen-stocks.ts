/** screen_stocks: rank the stored universe on one date by weighted cross-sectional factor z-scores. */
import { z } from 'zod';
import { isValidSymbol } from '../core/daily-bar.js';
import {
  DEFAULT_TOP,
  DEFAULT_WEIGHTS,
  DEFAULT_WINSORIZE,
  FACTOR_NAMES,
  MAX_TOP,
  ScreenRequestError,
  type ScreenResult,
  screenStocks,
} from '../core/screening/index.js';
import type { PriceSeries } from '../core/series/price-series.js';
import type { RegimeDay } from '../models/regime.js';
import { REGIMES } from '../models/regime.js';
import { modelsOf, type ScreenScores } from '../models/service.js';
import type { Pool } from '../store/db/pool.js';
import { MissingDataError, type SeriesSource } from '../store/market-data/load-series.js';
import { priceCacheOf } from '../store/market-data/price-cache.js';
import { loadUniverse } from '../store/market-data/universe.js';
import { marketRegimeAt, regimeSchema } from './market-regime.js';
import { seriesSourceOf } from './series-source.js';
import { defineTool, isoDate, READ_ONLY, ToolError } from './tool.js';

const defaultWeights = Object.entries(DEFAULT_WEIGHTS)
  .filter(([, weight]) => weight !== 0)
  .map(([factor, weight]) => `${factor} ${weight}`)
  .join(', ');

const input = z.object({
  symbols: z
    .array(z.string().min(1).max(20))
    .min(1)
    .max(2000)
    .optional()
    .describe('Tickers. Omitted: all stored.'),
  as_of: isoDate()
    .optional()
    .describe('Screen date; only bars on or before it are read. Omitted: the latest bar date.'),
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
    .describe('Keep only these sectors (e.g. ["Energy"]; any case).'),
  above_sma200: z
    .boolean()
    .optional()
    .describe(
      'true: only adjusted closes above their 200-day average; false: at or below it. Omitted: no filter.',
    ),
  regimes: z
    .array(z.enum(REGIMES))
    .min(1)
    .optional()
    .describe("Screen only if as_of's market regime is one of these."),
  weights: z
    .record(z.string(), z.number())
    .optional()
    .describe(
      `Weight per factor (${FACTOR_NAMES.join(', ')}). Given, it is the whole blend (factors left out weigh 0); a negative weight favours the opposite end. Omitted: ${defaultWeights}.`,
    ),
  // ≤ 0 is refused by the screen itself, in the words the CLI has always printed.
  winsorize: z
    .number()
    .optional()
    .describe(`Clip z-scores at ±this, > 0. Default ${DEFAULT_WINSORIZE}.`),
  detail: z
    .enum(['summary', 'full'])
    .default('summary')
    .describe('full: also exclusions, factor stats, factors, z-scores.'),
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
  factors: z
    .record(z.string(), z.number())
    .optional()
    .describe('detail full: raw value per factor the symbol has.'),
  z_scores: z
    .record(z.string(), z.number())
    .optional()
    .describe('detail full: oriented (higher = better), clipped z-score per factor.'),
  missing: z.array(z.string()).describe('Factors the symbol lacks (too little history).'),
  model_score: z.number().nullable().describe('Learned score, 0-1; null: not scored.'),
  model_contributions: z
    .record(z.string(), z.number())
    .optional()
    .describe('Per feature: its push on model_score from the bias.'),
});

export const modelLabelSchema = z
  .object({
    name: z.string(),
    version: z.number(),
    status: z.enum(['staging', 'production', 'retired']),
    trained_from: z.string().nullable(),
    trained_to: z.string().nullable(),
    out_of_sample: z
      .object({
        months: z.number(),
        from: z.string().nullable(),
        to: z.string().nullable(),
        mean_ic: z.number(),
        ic_t_stat: z.number(),
        momentum_mean_ic: z.number(),
        top_decile_excess: z.number(),
        momentum_top_decile_excess: z.number(),
        beats_momentum: z.boolean(),
      })
      .nullable()
      .describe('Walk-forward figures beside 12-1 momentum.'),
    provider: z.string().describe('cpu or cuda.'),
  })
  .describe('The model behind model_score, and how it did out of sample.');

const output = z.object({
  as_of: z.string().describe('The screen date.'),
  universe: z.number().describe('Symbols in the universe.'),
  passed: z.number().describe('Symbols that passed every filter and were ranked.'),
  excluded: z
    .record(z.string(), z.number())
    .describe('How many symbols each filter or data problem left out, by reason.'),
  exclusions: z
    .array(
      z.object({
        symbol: z.string().describe('Ticker.'),
        reason: z.string().describe('The reason, as in excluded.'),
        detail: z.string().describe('The values behind the reason.'),
      }),
    )
    .optional()
    .describe('detail full: every symbol left out, and why.'),
  weights: z.record(z.string(), z.number()).describe('The weight of every factor used.'),
  winsorize: z.number().optional().describe('detail full: the ± clip applied to z-scores.'),
  factor_stats: z
    .record(
      z.string(),
      z.object({
        count: z.number().describe('Ranked symbols with a value.'),
        mean: z.number().describe('Mean raw value.'),
        std: z.number().describe('Population standard deviation of the raw values.'),
      }),
    )
    .optional()
    .describe('detail full: per factor, over the ranked symbols.'),
  rows: z.array(row).describe('The top symbols by score, best first.'),
  model: modelLabelSchema
    .extend({ bias: z.number().optional().describe('model_score with no feature information.') })
    .optional(),
  model_unavailable: z
    .string()
    .optional()
    .describe('Why model_score is null throughout, when it is.'),
  regime: regimeSchema
    .nullable()
    .describe('The market regime on as_of (all stored symbols); null: under 63 days of prices.'),
  note: z
    .string()
    .optional()
    .describe(
      'Only when no symbol was ranked: why (history needed, or the filters), and what to change.',
    ),
  elapsed_ms: z.number().optional().describe('detail full: time the screen itself took, ms.'),
});

function asToolError(error: unknown): unknown {
  if (error instanceof ScreenRequestError || error instanceof MissingDataError) {
    return new ToolError(error.message, 'bad_input');
  }
  return error;
}

/** Upper-cased tickers; a name that is no ticker is refused (with --data it would name a file). */
function tickers(names: string[]): string[] {
  const out = names.map((name) => name.trim().toUpperCase());
  const bad = out.find((name) => !isValidSymbol(name));
  if (bad !== undefined) {
    throw new ToolError(
      `symbols: ${JSON.stringify(bad)} is not a ticker (1-20 of A-Z, 0-9, "." and "-", e.g. BRK.B)`,
      'bad_input',
    );
  }
  return out;
}

/** The latest bar date in the database (the server's price cache answers when attached). */
async function latestStoredDate(pool: Pool): Promise<string> {
  const cache = priceCacheOf(pool);
  const last = cache
    ? await cache.lastDate()
    : ((await pool.query<{ last: string | null }>('SELECT max(date) AS last FROM daily_bars'))
        .rows[0]?.last ?? undefined);
  if (!last) {
    throw new ToolError(
      'the database holds no prices; import some with `countersign import <files>`',
      'unavailable',
    );
  }
  return last;
}

/** The latest bar date of series read from files (no as_of given). */
function latestFileDate(series: readonly PriceSeries[], source: SeriesSource): string {
  let last: string | undefined;
  for (const one of series) {
    const date = one.dates[one.dates.length - 1];
    if (date !== undefined && (last === undefined || date > last)) last = date;
  }
  if (last === undefined) {
    const where = source.kind === 'files' ? source.path : 'the database';
    throw new ToolError(`${where} holds no bars to screen`, 'bad_input');
  }
  return last;
}

/** The model columns of one row and the answer's model label. */
function modelColumns(scores: ScreenScores, symbol: string) {
  if (!scores.available) return { model_score: null };
  const score = scores.scores[symbol];
  const parts = scores.contributions?.[symbol];
  return { model_score: score ?? null, ...(parts ? { model_contributions: parts } : {}) };
}

function modelFields(scores: ScreenScores) {
  if (!scores.available) return { model_unavailable: scores.reason };
  return {
    model: { ...scores.model, ...(scores.bias === undefined ? {} : { bias: scores.bias }) },
  };
}

/** Today's answer: the rows with their contributions. */
function summaryOutput(result: ScreenResult, scores: ScreenScores, regime: RegimeDay | null) {
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
      ...modelColumns(scores, one.symbol),
    })),
    ...modelFields(scores),
    regime,
    ...(result.note === undefined ? {} : { note: result.note }),
  };
}

/** detail full: the whole screen (what `countersign screen --json` prints). */
function fullOutput(
  result: ScreenResult,
  scores: ScreenScores,
  regime: RegimeDay | null,
  elapsedMs: number,
) {
  return {
    as_of: result.asOf,
    universe: result.universe,
    passed: result.passed,
    excluded: result.excluded as Record<string, number>,
    exclusions: result.exclusions.map((one) => ({ ...one })),
    weights: result.weights,
    winsorize: result.winsorize,
    factor_stats: result.factorStats as Record<
      string,
      { count: number; mean: number; std: number }
    >,
    rows: result.rows.map((one) => ({
      rank: one.rank,
      symbol: one.symbol,
      sector: one.sector,
      date: one.date,
      price: one.price,
      dollar_volume: one.dollarVolume,
      score: one.score,
      contributions: one.contributions as Record<string, number>,
      factors: one.factors as Record<string, number>,
      z_scores: one.zScores as Record<string, number>,
      missing: one.missing,
      ...modelColumns(scores, one.symbol),
    })),
    ...modelFields(scores),
    regime,
    ...(result.note === undefined ? {} : { note: result.note }),
    elapsed_ms: elapsedMs,
  };
}

export const screenStocksTool = defineTool({
  name: 'screen_stocks',
  title: 'Screen stocks',
  description: `Ranks every symbol in our database (or those in symbols) on one date (as_of, default the latest bar) by a weighted sum of cross-sectional factor z-scores (clipped to ±winsorize), after optional filters (min_price, min_dollar_volume in USD, sectors, above_sma200). Rows also carry model_score (the live learned model's predicted percentile of the next 21 days' return) with per-feature contributions; model names the model and its out-of-sample figures. regime: the market regime on as_of; regimes filters on it. Returns the top ${DEFAULT_TOP} rows by default (at most ${MAX_TOP}) with each factor's contribution. Use it to find candidates; it is not advice and trades nothing. Use get_quote or get_bars to look at one symbol, optimize_portfolio to weigh a chosen list.`,
  input,
  output,
  writes: false,
  annotations: READ_ONLY,
  async handler(request, context) {
    const { pool, progress } = context;
    const source = seriesSourceOf(context);
    try {
      let asOf = request.as_of;
      if (!asOf && source.kind === 'database') asOf = await latestStoredDate(pool);
      progress(0, 2, 'loading the universe');
      const symbols = request.symbols ? tickers(request.symbols) : 'all';
      const universe = await loadUniverse(source, { symbols, to: asOf });
      asOf ??= latestFileDate(universe.series, source);
      progress(1, 2, `screening ${universe.series.length} symbols`);
      const models = modelsOf(pool);
      const scores: ScreenScores = models
        ? await models.screenScores(universe.series, asOf)
        : { available: false, reason: 'this process runs no model core' };
      if (!scores.available && (request.weights?.model_score ?? 0) !== 0)
        throw new ToolError(
          `weights.model_score is ${request.weights?.model_score} but no model can score: ${scores.reason}`,
          'unavailable',
        );
      const regime = (await marketRegimeAt(context, asOf)) ?? null;
      const outside =
        request.regimes !== undefined &&
        (regime === null || !request.regimes.includes(regime.regime));
      const started = performance.now();
      const result = screenStocks(universe, {
        asOf,
        ...(scores.available ? { modelScores: scores.scores } : {}),
        top: request.top,
        weights: request.weights,
        winsorize: request.winsorize,
        filters: {
          minPrice: request.min_price,
          minDollarVolume: request.min_dollar_volume,
          sectors: request.sectors,
          aboveSma200: request.above_sma200,
        },
      });
      const elapsedMs = performance.now() - started;
      if (outside) {
        // Screened as usual, then nothing is kept: every ranked symbol is left out for the regime.
        // 'regime' is this tool's reason, beside the core screen's own.
        result.excluded = { ...result.excluded, regime: result.passed } as ScreenResult['excluded'];
        result.passed = 0;
        result.rows = [];
        result.note = `the market regime on ${asOf} is ${regime?.regime ?? 'unknown (under 63 days of prices)'}, not one of ${request.regimes?.join(', ')}: nothing is screened`;
      }
      progress(2, 2, 'done');
      return request.detail === 'full'
        ? fullOutput(result, scores, regime, elapsedMs)
        : summaryOutput(result, scores, regime);
    } catch (error) {
      throw asToolError(error);
    }
  },
});
