/** optimize_portfolio: portfolio weights for a list of symbols from their stored daily returns. */
import { z } from 'zod';
import {
  COVARIANCE_ESTIMATORS,
  type CovarianceEstimator,
  type EstimateResult,
  estimate,
  MEAN_ESTIMATORS,
  type MeanEstimator,
} from '../core/portfolio/estimators/estimate.js';
import { buildReturns, EstimatorInputError } from '../core/portfolio/estimators/returns.js';
import {
  optimizePortfolio,
  PORTFOLIO_OBJECTIVES,
  PortfolioInfeasibleError,
  PortfolioInputError,
  type PortfolioObjective,
  PortfolioSolverError,
} from '../core/portfolio/optimize/index.js';
import type { PriceSeries } from '../core/series/price-series.js';
import { modelsOf, type ScreenScores } from '../models/service.js';
import { FileRejected } from '../store/market-data/bar-file.js';
import { loadSeries, MissingDataError } from '../store/market-data/load-series.js';
import { listSymbols, loadSectors } from '../store/market-data/universe.js';
import { seriesSourceOf } from './series-source.js';
import { defineTool, isoDate, READ_ONLY, type ToolContext, ToolError } from './tool.js';

/** The most symbols one optimization takes. */
export const MAX_PORTFOLIO_SYMBOLS = 100;
/** Daily returns in the estimation window when none is given: three years. */
export const DEFAULT_LOOKBACK = 756;

const input = z.object({
  symbols: z
    .union(
      [z.array(z.string().min(1).max(20)).min(2).max(MAX_PORTFOLIO_SYMBOLS), z.literal('all')],
      { error: `must be 2 to ${MAX_PORTFOLIO_SYMBOLS} tickers, or "all"` },
    )
    .describe(
      `Tickers to weigh, 2 to ${MAX_PORTFOLIO_SYMBOLS} (case does not matter), or "all" (skips incomplete).`,
    ),
  objective: z
    .enum(PORTFOLIO_OBJECTIVES as [PortfolioObjective, ...PortfolioObjective[]])
    .default('max_sharpe')
    .describe(
      'Default max_sharpe. mean_variance uses risk_aversion; target_return and target_volatility need that input.',
    ),
  end: isoDate()
    .optional()
    .describe('Last day of the estimation window, ISO YYYY-MM-DD. Omitted: the latest stored bar.'),
  lookback: z
    .number()
    .int()
    .min(2)
    .max(10_000)
    .default(DEFAULT_LOOKBACK)
    .describe(`Daily returns in the window, ≥ 2. Default ${DEFAULT_LOOKBACK} (three years).`),
  risk_free: z
    .number()
    .min(-0.1)
    .max(1)
    .default(0)
    .describe('Annual risk-free rate for Sharpe, a fraction (0.04 = 4 %). Default 0.'),
  risk_aversion: z
    .number()
    .positive()
    .default(1)
    .describe('λ of mean_variance (minimise λ/2·variance − return), > 0. Default 1.'),
  target_return: z
    .number()
    .optional()
    .describe('Annual return of objective target_return, a fraction.'),
  target_volatility: z
    .number()
    .positive()
    .optional()
    .describe('Annual volatility cap of objective target_volatility, a fraction.'),
  max_weight: z
    .number()
    .gt(0)
    .max(1)
    .default(1)
    .describe('Most weight per symbol, a fraction. Default 1.'),
  min_weight: z
    .number()
    .min(-1)
    .max(1)
    .default(0)
    .describe('Least weight per symbol. Default 0; negative allows shorts.'),
  sector_cap: z
    .number()
    .gt(0)
    .max(1)
    .optional()
    .describe('Most total weight per sector, (0, 1]. Omitted: none.'),
  mean_estimator: z
    .enum(MEAN_ESTIMATORS as [MeanEstimator, ...MeanEstimator[]])
    .default('historical')
    .describe(
      'Expected returns: historical (default, mean × 252), ewma (span) or shrunk (James–Stein).',
    ),
  expected_returns: z
    .enum(['estimator', 'model'])
    .default('estimator')
    .describe("estimator (default): mean_estimator's; model: the learned model's forecast."),
  covariance_estimator: z
    .enum(COVARIANCE_ESTIMATORS as [CovarianceEstimator, ...CovarianceEstimator[]])
    .default('sample')
    .describe('Covariance: sample (default, n−1, × 252), ledoit_wolf (shrinkage) or ewma (span).'),
  span: z.number().optional().describe('EWMA span in days. Default 180.'),
  max_holdings: z.number().min(1).optional().describe('Most non-zero weights, whole (heuristic).'),
  current_weights: z
    .record(z.string(), z.number())
    .optional()
    .describe('Weights held now by symbol, for max_turnover.'),
  max_turnover: z.number().optional().describe('Most Σ|w − current|.'),
  frontier_points: z.number().int().min(2).max(1000).optional().describe('Frontier points too.'),
  bootstrap_samples: z
    .number()
    .int()
    .min(10)
    .max(100_000)
    .optional()
    .describe('Resamples for 95 % intervals.'),
  bootstrap_seed: z.number().optional().describe('Bootstrap seed. Default 1.'),
  skip_incomplete: z.boolean().optional().describe('Leave out symbols missing prices.'),
  detail: z
    .enum(['summary', 'full'])
    .optional()
    .describe('full adds risk_contributions, solver, elapsed_ms.'),
});

const interval = z.object({
  low: z.number().describe('Lower bound.'),
  high: z.number().describe('Upper bound.'),
});

const output = z.object({
  objective: z.string().describe('Objective optimised.'),
  weights: z
    .array(
      z.object({
        symbol: z.string().describe('Ticker.'),
        weight: z.number().describe('Weight as a fraction of the portfolio (they sum to 1).'),
      }),
    )
    .describe('Weight per symbol, in the order given.'),
  expected_return: z.number().describe('Annual expected return μ·w, as a fraction.'),
  volatility: z.number().describe('Annual volatility √(w·Σ·w), as a fraction.'),
  sharpe: z
    .number()
    .nullable()
    .describe('(expected_return − risk_free) / volatility; null when the volatility is 0.'),
  start: z.string().describe('ISO date of the first return in the window.'),
  end: z.string().describe('ISO date of the last return in the window (the as-of date).'),
  lookback: z.number().describe('Daily returns used per symbol.'),
  mean_estimator: z.string().describe('Expected-return estimator used.'),
  expected_returns: z
    .string()
    .describe('Where μ came from: the estimator, or the model named with how it forecasts.'),
  covariance_estimator: z.string().describe('Covariance estimator used.'),
  shrinkage: z.number().nullable().describe('Ledoit–Wolf shrinkage intensity, or null.'),
  returns: z.string().describe('What the estimators read.'),
  notes: z.array(z.string()).describe('Solver notes: heuristics used, constraints that bound.'),
  dropped: z
    .array(
      z.object({
        symbol: z.string().describe('Ticker left out.'),
        reason: z.string().describe('Why.'),
      }),
    )
    .optional()
    .describe('With skip_incomplete or "all": symbols left out for missing prices.'),
  frontier: z
    .array(
      z.object({
        expected_return: z.number().describe('Annual expected return.'),
        volatility: z.number().describe('Annual volatility.'),
        sharpe: z.number().nullable().describe('Sharpe ratio; null at volatility 0.'),
      }),
    )
    .optional()
    .describe('With frontier_points: efficient-frontier points, lowest return first.'),
  bootstrap: z
    .object({
      samples: z.number().describe('Resamples.'),
      confidence: z.number().describe('Central probability of the intervals.'),
      expected_return: interval.describe('Interval of the annual expected return.'),
      volatility: interval.describe('Interval of the annual volatility.'),
    })
    .optional()
    .describe('With bootstrap_samples: intervals of the figures.'),
  risk_contributions: z
    .array(
      z.object({
        symbol: z.string().describe('Ticker.'),
        share: z.number().describe('Share of the variance (they sum to 1).'),
      }),
    )
    .optional()
    .describe("detail full: each symbol's share of the risk, in the order of weights."),
  solver: z
    .object({
      method: z.string().describe('How the weights were found.'),
      iterations: z.number().describe('Solver iterations.'),
    })
    .optional()
    .describe('detail full: the solver used.'),
  elapsed_ms: z
    .number()
    .optional()
    .describe('detail full: time for returns, estimators and solve (not loading), in ms.'),
});

/** current_weights by upper-cased symbol; a symbol given twice (in any case) is refused. */
function currentWeights(
  given: Record<string, number> | undefined,
): Record<string, number> | undefined {
  if (given === undefined) return undefined;
  const out: Record<string, number> = {};
  for (const [key, weight] of Object.entries(given)) {
    const symbol = key.trim().toUpperCase();
    if (Object.hasOwn(out, symbol))
      throw new ToolError(`symbol ${symbol} is listed twice in current_weights`, 'bad_input');
    out[symbol] = weight;
  }
  return out;
}

function asToolError(error: unknown): unknown {
  if (
    error instanceof EstimatorInputError ||
    error instanceof PortfolioInputError ||
    error instanceof PortfolioInfeasibleError ||
    error instanceof MissingDataError ||
    error instanceof FileRejected
  ) {
    return new ToolError(error.message, 'bad_input');
  }
  if (error instanceof PortfolioSolverError) return new ToolError(error.message, 'unavailable');
  return error;
}

/**
 * expected_returns "model": μ_i = μ̄ + 12 · slope · (score_i − mean score), where μ̄ is the
 * cross-sectional mean of the estimator's μ (the market's level is not what the model forecasts),
 * score the live screening model's predicted percentile of the next 21 days' return on the last
 * return date, and slope the pooled out-of-sample return per unit of score from its walk-forward
 * report. A model whose slope was not positive out of sample forecasts no difference (μ̄ for
 * all); a symbol it cannot score gets μ̄. The covariance stays the estimator's.
 */
async function modelForecast(
  context: ToolContext,
  series: readonly PriceSeries[],
  estimated: EstimateResult,
  asOf: string,
): Promise<{ mu: Float64Array; said: string; notes: string[] }> {
  const models = modelsOf(context.pool);
  const scores: ScreenScores = models
    ? await models.screenScores(series, asOf)
    : { available: false, reason: 'this process runs no model core' };
  if (!scores.available)
    throw new ToolError(
      `expected_returns "model": no model can forecast: ${scores.reason}`,
      'unavailable',
    );
  const record = await models?.active();
  const slope = record?.metrics.walk_forward?.oos_slope ?? 0;
  const n = estimated.symbols.length;
  const level = estimated.mu.reduce((a, b) => a + b, 0) / Math.max(n, 1);
  const known = estimated.symbols.filter((symbol) => scores.scores[symbol] !== undefined);
  const meanScore =
    known.reduce((a, symbol) => a + (scores.scores[symbol] as number), 0) /
    Math.max(known.length, 1);
  const mu = new Float64Array(n);
  estimated.symbols.forEach((symbol, i) => {
    const score = scores.scores[symbol];
    mu[i] = score === undefined || !(slope > 0) ? level : level + 12 * slope * (score - meanScore);
  });
  const name = `${scores.model.name} v${scores.model.version} (${scores.model.status})`;
  const notes: string[] = [];
  if (!(slope > 0))
    notes.push(
      `${name} showed no positive return per unit of score out of sample (slope ${slope}); every symbol is forecast the same μ, ${level.toFixed(4)}`,
    );
  const unscored = estimated.symbols.filter((symbol) => scores.scores[symbol] === undefined);
  if (unscored.length > 0)
    notes.push(`not scored (under a year of history), forecast μ̄: ${unscored.join(', ')}`);
  return {
    mu,
    said: `${name}: μ = ${level.toFixed(4)} (the estimator's cross-sectional mean) + 12 × ${slope} (out-of-sample return per unit of score, a month) × (score − its mean), scores as of ${asOf}`,
    notes,
  };
}

export const optimizePortfolioTool = defineTool({
  name: 'optimize_portfolio',
  title: 'Optimize portfolio weights',
  description: `Finds portfolio weights for 2 to ${MAX_PORTFOLIO_SYMBOLS} symbols from their stored prices. Estimators by default: daily simple returns of adjusted closes over the last ${DEFAULT_LOOKBACK} returns (three years) ending at end; expected returns = historical mean × 252; covariance = sample covariance (n − 1) × 252. Every symbol needs a price on every day of the window (shorten lookback, or skip_incomplete). Long-only by default. Weights are fractions summing to 1; returns and volatility are annual fractions. Use it to size a chosen list; use screen_stocks to find names and plan_rebalance to turn weights into orders. It trades nothing; estimates from history are uncertain.`,
  input,
  output,
  writes: false,
  annotations: READ_ONLY,
  async handler(request, context) {
    const { progress, signal } = context;
    const all = request.symbols === 'all';
    const listed =
      request.symbols === 'all'
        ? undefined
        : request.symbols.map((symbol) => symbol.trim().toUpperCase());
    const duplicate = listed?.find((symbol, k) => listed.indexOf(symbol) !== k);
    if (duplicate) throw new ToolError(`symbol ${duplicate} is listed twice`, 'bad_input');
    const current = currentWeights(request.current_weights);
    const skipIncomplete = request.skip_incomplete === true || all;
    try {
      const source = seriesSourceOf(context);
      const symbols = listed ?? (await listSymbols(source));
      progress(0, 2, `loading prices of ${symbols.length} symbols`);
      const [series, sectors] = await Promise.all([
        loadSeries(source, { symbols, to: request.end }),
        request.sector_cap === undefined ? Promise.resolve({}) : loadSectors(source, symbols),
      ]);
      if (signal.aborted) throw new ToolError('the optimization was cancelled', 'unavailable');
      progress(1, 2, 'estimating and optimising');
      const started = performance.now();
      const { returns, dropped } = buildReturns(series, {
        end: request.end,
        lookback: request.lookback,
        skipIncomplete,
      });
      const estimated = estimate(returns, {
        mean: request.mean_estimator,
        covariance: request.covariance_estimator,
        ...(request.span === undefined ? {} : { span: request.span }),
      });
      const forecast =
        request.expected_returns === 'model'
          ? await modelForecast(context, series, estimated, returns.dates.at(-1) ?? '')
          : undefined;
      const result = optimizePortfolio({
        estimate: forecast ? { ...estimated, mu: forecast.mu } : estimated,
        objective: request.objective,
        riskFreeRate: request.risk_free,
        riskAversion: request.risk_aversion,
        targetReturn: request.target_return,
        targetVolatility: request.target_volatility,
        frontierPoints: request.frontier_points,
        constraints: {
          minWeight: request.min_weight,
          maxWeight: request.max_weight,
          ...(request.sector_cap === undefined ? {} : { sectors, sectorCaps: request.sector_cap }),
          ...(request.max_holdings === undefined ? {} : { maxHoldings: request.max_holdings }),
          ...(current === undefined ? {} : { currentWeights: current }),
          ...(request.max_turnover === undefined ? {} : { maxTurnover: request.max_turnover }),
        },
        ...(request.bootstrap_samples === undefined
          ? {}
          : {
              bootstrap: {
                returns,
                samples: request.bootstrap_samples,
                seed: request.bootstrap_seed ?? 1,
              },
            }),
      });
      const elapsedMs = performance.now() - started;
      progress(2, 2, 'done');
      const full = request.detail === 'full';
      return {
        objective: result.objective,
        weights: estimated.symbols.map((symbol) => ({
          symbol,
          weight: result.weights[symbol] ?? 0,
        })),
        expected_return: result.expectedReturn,
        volatility: result.volatility,
        sharpe: result.sharpe,
        start: returns.dates[0] ?? '',
        end: returns.dates[returns.dates.length - 1] ?? '',
        lookback: returns.T,
        mean_estimator: estimated.mean,
        expected_returns: forecast?.said ?? `the ${estimated.mean} estimator`,
        covariance_estimator: estimated.covariance,
        shrinkage: estimated.shrinkage,
        returns: 'daily simple returns of adjusted closes, annualised with 252 days',
        notes: [...(forecast?.notes ?? []), ...result.notes],
        ...(skipIncomplete ? { dropped } : {}),
        ...(request.frontier_points === undefined
          ? {}
          : {
              frontier: result.frontier.map((point) => ({
                expected_return: point.expectedReturn,
                volatility: point.volatility,
                sharpe: point.sharpe,
              })),
            }),
        ...(result.bootstrap
          ? {
              bootstrap: {
                samples: result.bootstrap.samples,
                confidence: result.bootstrap.confidence,
                expected_return: result.bootstrap.expectedReturn,
                volatility: result.bootstrap.volatility,
              },
            }
          : {}),
        ...(full
          ? {
              risk_contributions: estimated.symbols.map((symbol) => ({
                symbol,
                share: result.riskContributions[symbol] ?? 0,
              })),
              solver: result.solver,
              elapsed_ms: elapsedMs,
            }
          : {}),
      };
    } catch (error) {
      throw asToolError(error);
    }
  },
});
