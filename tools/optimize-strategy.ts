/**
 * optimize_strategy: search a strategy's parameters on stored bars (or the CLI's --data files),
 * per symbol (grid, random or TPE), on the declared ranges or a grid, with optional walk-forward
 * folds; detail 'full' returns every backtest of the search.
 */
import { z } from 'zod';
import { EngineConfigError } from '../core/engine/config.js';
import { OBJECTIVES, UnknownObjectiveError } from '../core/optimize/objectives/index.js';
import { ParamSpecError, parseGridSpec } from '../core/optimize/param-space.js';
import { SearchAbortedError } from '../core/optimize/run-search.js';
import { DEFAULT_PRICE_MODE, describePriceMode, PRICE_MODES } from '../core/series/price-series.js';
import { STRATEGIES } from '../core/strategies/index.js';
import { StrategyParamsError } from '../core/strategies/params.js';
import {
  type OptimizeReport,
  type OptimizeSource,
  optimizeStrategy,
} from '../store/jobs/optimize-strategy.js';
import { createThreadRunner } from '../store/jobs/task-runner.js';
import { FileRejected } from '../store/market-data/bar-file.js';
import { filesFor, loadSeries, MissingDataError } from '../store/market-data/load-series.js';
import { saveOptimization } from '../store/repos/optimizations-repo.js';
import {
  ENGINE_SETTINGS_BARE,
  engineConfigOf,
  heldToBudget,
  storedSettings,
} from './engine-settings.js';
import { seriesSourceOf } from './series-source.js';
import { defineTool, isoDate, READ_ONLY, ToolError } from './tool.js';

const perSymbol = STRATEGIES.filter((s) => s.kind === 'per_symbol').map((s) => s.name) as [
  string,
  ...string[],
];
const objectives = OBJECTIVES.map((o) => o.name) as [string, ...string[]];
/** The most backtests one call runs over a server (symbols × trials × (1 + folds)). */
export const MAX_BACKTESTS = 20_000;
/** The most symbols one call takes over a server. */
export const MAX_SYMBOLS = 20;
/** The most trials per symbol over a server. */
export const MAX_TRIALS = 2000;
/** The most trials per symbol anywhere (a grid's combinations are capped the same). */
const TRIALS_LIMIT = 1_000_000;
/** The most walk-forward folds. */
const MAX_FOLDS = 50;

const input = z.object({
  strategy: z.enum(perSymbol).describe('Per-symbol strategy.'),
  symbols: z
    .array(z.string().min(1).max(20))
    .min(1)
    .describe(`Tickers, 1 to ${MAX_SYMBOLS}; each is optimized on its own, e.g. ["AAPL","MSFT"].`),
  method: z
    .enum(['grid', 'random', 'tpe'])
    .default('tpe')
    .describe(
      "grid (every value on the strategy's declared ranges), random, or tpe (Bayesian, sample-efficient). Default tpe.",
    ),
  trials: z
    .number()
    .int()
    .min(1)
    .default(100)
    .describe(
      `random/tpe: parameter sets tried per symbol, 1 to ${MAX_TRIALS} (default 100); grid: a cap.`,
    ),
  objective: z.enum(objectives).default('sharpe').describe('What to maximise. Default sharpe.'),
  objectives: z
    .array(z.string())
    .min(1)
    .max(objectives.length)
    .optional()
    .describe('Several objectives instead of objective: front per symbol; the first picks best.'),
  grid: z
    .string()
    .max(2000)
    .optional()
    .describe('Values instead of the declared ranges: "fast=5:50:5,slow=20:200:20" or a|b|c.'),
  walk_forward: z
    .number()
    .int()
    .min(0)
    .max(MAX_FOLDS)
    .default(0)
    .describe(`Out-of-sample check on this many rolling folds, 0–${MAX_FOLDS}.`),
  start: isoDate().optional().describe('First bar date, ISO YYYY-MM-DD. Omitted: all history.'),
  end: isoDate().optional().describe('Last bar date, ISO YYYY-MM-DD. Omitted: the latest bar.'),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31)
    .default(1)
    .describe('Seed for random/tpe, for repeatable runs. Default 1.'),
  price_mode: z
    .enum(PRICE_MODES)
    .default(DEFAULT_PRICE_MODE)
    .describe(
      'adjusted (default): signals and returns on split- and dividend-adjusted prices, fills at traded prices. raw: traded prices throughout.',
    ),
  // Listed without descriptions: the tool description points to run_backtest's.
  ...ENGINE_SETTINGS_BARE,
  detail: z
    .enum(['summary', 'full'])
    .default('summary')
    .describe('full: also rows, every backtest.'),
});

const params = z.record(z.string(), z.number());
const scores = z.record(z.string(), z.number().nullable());
const score = z.number().nullable();
const span = z.object({ start: z.string(), end: z.string() });

const output = z.object({
  optimization_id: z
    .string()
    .describe('Id of the stored result (search_trade_history finds it later)'),
  strategy: z.string().describe('Strategy searched'),
  method: z.string().describe('Search method used'),
  objective: z.string().describe('Objective maximised (the first of objectives)'),
  price_mode: z.enum(PRICE_MODES).describe('Which prices the backtests used'),
  prices: z.string().describe('Which prices the backtests used, in words'),
  best: z
    .array(
      z.object({
        symbol: z.string().describe('Ticker'),
        params: params.describe('Best parameter set found'),
        score: z
          .number()
          .nullable()
          .describe('Its objective value (null when undefined, e.g. no trades)'),
        scores: scores.optional().describe('detail full: its value on each objective'),
      }),
    )
    .describe('Best parameters per symbol'),
  backtests: z.number().int().describe('Backtests run'),
  elapsed_ms: z.number().describe('Computation time in milliseconds'),
  objectives: z.array(z.string()).optional().describe('detail full: the objectives, in order'),
  rows: z
    .array(
      z.object({
        symbol: z.string(),
        params,
        final_equity: z.number().nullable(),
        trade_count: z.number().nullable(),
        scores,
        error: z.string().optional(),
      }),
    )
    .optional()
    .describe(
      'detail full: every backtest (symbol, params, final_equity USD, trade_count, scores)',
    ),
  front: z
    .array(z.object({ symbol: z.string(), params, scores }))
    .optional()
    .describe('With several objectives: the Pareto front per symbol'),
  walk_forward: z
    .array(
      z.object({
        symbol: z.string(),
        folds: z.array(
          z.object({
            best_params: params,
            in_sample_score: score,
            out_of_sample_score: score,
            in_sample: span,
            out_of_sample: span,
            out_of_sample_trade_count: z.number().nullable(),
          }),
        ),
        summary: z.object({
          folds: z.number(),
          mean_in_sample: score,
          mean_out_of_sample: score,
          degradation: score,
          parameter_stability: z.record(
            z.string(),
            z.object({
              values: z.array(z.number()),
              mean: z.number(),
              std: z.number(),
              coefficient_of_variation: score,
            }),
          ),
          most_common_params: params.nullable(),
          most_common_share: z.number(),
        }),
      }),
    )
    .optional()
    .describe(
      'With walk_forward: per symbol, each fold (in-sample winner, its out-of-sample score) and a summary; degradation > 0 is worse out of sample',
    ),
});

/** The output of optimize_strategy (with detail 'full': the optional members are there). */
export type OptimizeStrategyOutput = z.infer<typeof output>;

/** A JSON number or null (NaN and Infinity survive no transport). */
function finite(value: number | null | undefined): number | null {
  return value !== null && value !== undefined && Number.isFinite(value) ? value : null;
}

/** The walk-forward folds and summaries of a report, snake_case. */
function walkForwardOutput(report: OptimizeReport): OptimizeStrategyOutput['walk_forward'] {
  return report.walkForward.map((one) => ({
    symbol: one.symbol,
    folds: one.folds.map((fold) => ({
      best_params: fold.bestParams,
      in_sample_score: finite(fold.inSampleScore),
      out_of_sample_score: finite(fold.outOfSampleScore),
      in_sample: fold.inSample,
      out_of_sample: fold.outOfSample,
      out_of_sample_trade_count: fold.outOfSampleMetrics?.tradeCount ?? null,
    })),
    summary: {
      folds: one.summary.folds,
      mean_in_sample: finite(one.summary.meanInSample),
      mean_out_of_sample: finite(one.summary.meanOutOfSample),
      degradation: finite(one.summary.degradation),
      parameter_stability: Object.fromEntries(
        Object.entries(one.summary.parameterStability).map(([name, stability]) => [
          name,
          {
            values: stability.values,
            mean: stability.mean,
            std: stability.std,
            coefficient_of_variation: finite(stability.coefficientOfVariation),
          },
        ]),
      ),
      most_common_params: one.summary.mostCommonParams,
      most_common_share: one.summary.mostCommonShare,
    },
  }));
}

/** Refuses a call over a server's budget; the command line is bounded only by TRIALS_LIMIT. */
function checkBudget(
  request: { trials: number; walk_forward: number },
  symbols: string[],
  bounded: boolean,
): void {
  if (request.trials > TRIALS_LIMIT)
    throw new ToolError(
      `trials ${request.trials} is more than ${TRIALS_LIMIT}; lower it`,
      'bad_input',
    );
  if (!bounded) return;
  if (symbols.length > MAX_SYMBOLS)
    throw new ToolError(
      `symbols lists ${symbols.length} tickers; an optimization takes 1 to ${MAX_SYMBOLS}. Use fewer symbols.`,
      'bad_input',
    );
  if (request.trials > MAX_TRIALS)
    throw new ToolError(
      `trials ${request.trials} is more than ${MAX_TRIALS}; lower trials (grid: use coarser steps)`,
      'bad_input',
    );
  const folds = request.walk_forward;
  // trials caps a grid too, so symbols × trials (× the searches walk-forward adds) bounds the work.
  const planned = symbols.length * request.trials * (1 + folds);
  if (planned > MAX_BACKTESTS) {
    const times =
      folds > 0
        ? `${symbols.length} symbols × ${request.trials} trials × ${1 + folds} searches (walk_forward ${folds})`
        : `${symbols.length} symbols × ${request.trials} trials`;
    throw new ToolError(
      `${times} = ${planned} backtests, more than ${MAX_BACKTESTS}; lower trials${folds > 0 ? ' or walk_forward' : ''} or use fewer symbols`,
      'bad_input',
    );
  }
}

export const optimizeStrategyTool = defineTool({
  name: 'optimize_strategy',
  title: 'Optimize strategy parameters',
  description: `Searches a strategy's parameters on stored daily bars, separately for each symbol, and returns the best set per symbol with its score. Defaults: TPE (Bayesian) with 100 trials per symbol, objective sharpe, the strategy's declared ranges; cash to order_valid_bars are run_backtest's settings, with its defaults. At most ${MAX_BACKTESTS} backtests per call. In-sample only: the best past parameters are not a forecast; use run_backtest on another period to check them. Reports progress; can be cancelled.`,
  input,
  output,
  writes: false,
  annotations: READ_ONLY,
  async handler(request, context) {
    const { progress, signal } = context;
    const symbols = request.symbols.map((symbol) => symbol.trim().toUpperCase());
    checkBudget(request, symbols, heldToBudget(context));
    const runner = context.taskRunner ?? createThreadRunner(1);
    try {
      const axes = request.grid === undefined ? undefined : parseGridSpec(request.grid);
      const names = request.objectives ?? [request.objective];
      const folds = request.walk_forward;
      const source = seriesSourceOf(context);
      // Worker threads read their own files, in parallel; walk-forward needs the calendars here,
      // and a single thread gains nothing from handing the files over.
      const workersRead = source.kind === 'files' && runner.parallelism > 1 && folds === 0;
      const range = { symbols, from: request.start, to: request.end };
      const series = workersRead ? [] : await loadSeries(source, range);
      const bars: OptimizeSource =
        workersRead && source.kind === 'files'
          ? {
              kind: 'files',
              files: Object.fromEntries(
                (await filesFor(source.path, symbols)).map((file, k) => [symbols[k], file]),
              ),
            }
          : { kind: 'series', series };
      const started = performance.now();
      const report = await optimizeStrategy(
        {
          strategy: request.strategy,
          symbols,
          source: bars,
          from: request.start,
          to: request.end,
          priceMode: request.price_mode,
          config: engineConfigOf(request),
          method: request.method,
          axes,
          trials: request.trials,
          seed: request.seed,
          objectives: names,
          walkForward: folds,
          calendars: Object.fromEntries(series.map((one) => [one.symbol, one.dates])),
          signal,
          onProgress: (done, total) => progress(done, total, `${done} of ${total} backtests`),
        },
        runner,
      );
      const elapsedMs = performance.now() - started;
      const objective = report.objectives[0] as string;
      const full = request.detail === 'full';
      const best = report.best.map((one) => ({
        symbol: one.symbol,
        params: one.params,
        score: finite(one.scores[objective]),
      }));
      const walkForward = folds > 0 ? walkForwardOutput(report) : undefined;
      const optimizationId = await saveOptimization(context.pool, {
        createdBy: context.principal.id || null,
        strategy: report.strategy,
        method: report.method,
        objective,
        symbols,
        startDate: request.start ?? null,
        endDate: request.end ?? null,
        priceMode: report.priceMode,
        backtests: report.backtests,
        best,
        walkForward:
          walkForward?.map((one) => ({
            symbol: one.symbol,
            folds: one.summary.folds,
            mean_in_sample: one.summary.mean_in_sample,
            mean_out_of_sample: one.summary.mean_out_of_sample,
            degradation: one.summary.degradation,
            most_common_params: one.summary.most_common_params,
          })) ?? null,
        settings: { ...storedSettings(request), price_mode: request.price_mode },
      });
      return {
        optimization_id: optimizationId,
        strategy: report.strategy,
        method: report.method,
        objective,
        price_mode: report.priceMode,
        prices: describePriceMode(report.priceMode),
        best: report.best.map((one, k) => ({
          ...(best[k] as (typeof best)[number]),
          score: one.scores[objective] ?? null,
          ...(full ? { scores: one.scores } : {}),
        })),
        backtests: report.backtests,
        elapsed_ms: elapsedMs,
        ...(full
          ? {
              objectives: report.objectives,
              rows: report.rows.map((row) => ({
                symbol: row.symbol,
                params: row.params,
                final_equity: finite(row.finalEquity),
                trade_count: row.tradeCount,
                scores: row.scores,
                ...(row.error ? { error: row.error } : {}),
              })),
            }
          : {}),
        ...(report.objectives.length > 1 ? { front: report.front } : {}),
        ...(walkForward ? { walk_forward: walkForward } : {}),
      };
    } catch (error) {
      if (
        error instanceof StrategyParamsError ||
        error instanceof MissingDataError ||
        error instanceof ParamSpecError ||
        error instanceof EngineConfigError ||
        error instanceof UnknownObjectiveError ||
        error instanceof FileRejected
      )
        throw new ToolError(error.message, 'bad_input');
      if (
        error instanceof SearchAbortedError ||
        (error instanceof Error && error.name === 'AbortError')
      )
        throw new ToolError('the optimization was cancelled', 'unavailable');
      throw error;
    } finally {
      if (!context.taskRunner) await runner.close();
    }
  },
});
