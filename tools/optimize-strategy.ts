/** optimize_strategy: search a strategy's parameters on stored bars, per symbol (grid, random or TPE). */
import { z } from 'zod';
import { EngineConfigError } from '../core/engine/config.js';
import { OBJECTIVES, UnknownObjectiveError } from '../core/optimize/objectives/index.js';
import { ParamSpecError } from '../core/optimize/param-space.js';
import { SearchAbortedError } from '../core/optimize/run-search.js';
import { DEFAULT_PRICE_MODE, describePriceMode, PRICE_MODES } from '../core/series/price-series.js';
import { STRATEGIES } from '../core/strategies/index.js';
import { StrategyParamsError } from '../core/strategies/params.js';
import { optimizeStrategy } from '../store/jobs/optimize-strategy.js';
import { createThreadRunner } from '../store/jobs/task-runner.js';
import { loadSeries, MissingDataError } from '../store/market-data/load-series.js';
import { defineTool, isoDate, READ_ONLY, ToolError } from './tool.js';

const perSymbol = STRATEGIES.filter((s) => s.kind === 'per_symbol').map((s) => s.name) as [
  string,
  ...string[],
];
const objectives = OBJECTIVES.map((o) => o.name) as [string, ...string[]];
/** The most backtests one call runs (symbols × trials). */
export const MAX_BACKTESTS = 20_000;

const input = z.object({
  strategy: z.enum(perSymbol).describe(`Per-symbol strategy: ${perSymbol.join(', ')}.`),
  symbols: z
    .array(z.string().min(1).max(20))
    .min(1)
    .max(20)
    .describe('Tickers, 1 to 20; each is optimized on its own, e.g. ["AAPL","MSFT"].'),
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
    .max(2000)
    .default(100)
    .describe('random/tpe: parameter sets tried per symbol (default 100); grid: a cap.'),
  objective: z
    .enum(objectives)
    .default('sharpe')
    .describe(`What to maximise: ${objectives.join(', ')}. Default sharpe.`),
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
});

const output = z.object({
  strategy: z.string().describe('Strategy searched'),
  method: z.string().describe('Search method used'),
  objective: z.string().describe('Objective maximised'),
  price_mode: z.enum(PRICE_MODES).describe('Which prices the backtests used'),
  prices: z.string().describe('Which prices the backtests used, in words'),
  best: z
    .array(
      z.object({
        symbol: z.string().describe('Ticker'),
        params: z.record(z.string(), z.number()).describe('Best parameter set found'),
        score: z
          .number()
          .nullable()
          .describe('Its objective value (null when undefined, e.g. no trades)'),
      }),
    )
    .describe('Best parameters per symbol'),
  backtests: z.number().int().describe('Backtests run'),
  elapsed_ms: z.number().describe('Computation time in milliseconds'),
});

export const optimizeStrategyTool = defineTool({
  name: 'optimize_strategy',
  title: 'Optimize strategy parameters',
  description: `Searches a strategy's parameters on stored daily bars, separately for each symbol, and returns the best set per symbol with its score. Defaults: TPE (Bayesian) with 100 trials per symbol, objective sharpe, the strategy's declared ranges, long-only all-in backtests with no costs. At most ${MAX_BACKTESTS} backtests per call. In-sample only: the best past parameters are not a forecast; use run_backtest on another period to check them. Reports progress; can be cancelled.`,
  input,
  output,
  writes: false,
  annotations: READ_ONLY,
  async handler(request, { pool, progress, signal }) {
    const symbols = request.symbols.map((symbol) => symbol.trim().toUpperCase());
    // trials caps a grid too, so symbols × trials bounds the work.
    const planned = symbols.length * request.trials;
    if (planned > MAX_BACKTESTS)
      throw new ToolError(
        `${symbols.length} symbols × ${request.trials} trials = ${planned} backtests, more than ${MAX_BACKTESTS}; lower trials or use fewer symbols`,
        'bad_input',
      );
    const runner = createThreadRunner(1);
    try {
      const series = await loadSeries(
        { kind: 'database', pool },
        { symbols, from: request.start, to: request.end },
      );
      const started = performance.now();
      const report = await optimizeStrategy(
        {
          strategy: request.strategy,
          symbols,
          source: { kind: 'series', series },
          from: request.start,
          to: request.end,
          priceMode: request.price_mode,
          config: {},
          method: request.method,
          trials: request.trials,
          seed: request.seed,
          objectives: [request.objective],
          signal,
          onProgress: (done, total) => progress(done, total, `${done} of ${total} backtests`),
        },
        runner,
      );
      return {
        strategy: report.strategy,
        method: report.method,
        objective: request.objective,
        price_mode: report.priceMode,
        prices: describePriceMode(report.priceMode),
        best: report.best.map((one) => ({
          symbol: one.symbol,
          params: one.params,
          score: one.scores[request.objective] ?? null,
        })),
        backtests: report.backtests,
        elapsed_ms: performance.now() - started,
      };
    } catch (error) {
      if (
        error instanceof StrategyParamsError ||
        error instanceof MissingDataError ||
        error instanceof ParamSpecError ||
        error instanceof EngineConfigError ||
        error instanceof UnknownObjectiveError
      )
        throw new ToolError(error.message, 'bad_input');
      if (error instanceof SearchAbortedError)
        throw new ToolError('the optimization was cancelled', 'unavailable');
      throw error;
    } finally {
      await runner.close();
    }
  },
});
