/** Strategy optimization end to end: search per symbol, tasks spread over a runner, walk-forward folds. */
import type { EngineConfigInput } from '../../core/engine/config.js';
import { type Objective, objectiveByName } from '../../core/optimize/objectives/index.js';
import type { GridAxes, Params } from '../../core/optimize/param-space.js';
import { runSearch, type SearchMethod, type SearchTrial } from '../../core/optimize/run-search.js';
import { paramsKey, toDimensions } from '../../core/optimize/search-space.js';
import {
  summarizeWalkForward,
  type WalkForwardFold,
  type WalkForwardSummary,
  walkForwardWindows,
} from '../../core/optimize/walk-forward.js';
import {
  DEFAULT_PRICE_MODE,
  type PriceMode,
  type PriceSeries,
} from '../../core/series/price-series.js';
import { strategyByName } from '../../core/strategies/index.js';
import { StrategyParamsError } from '../../core/strategies/params.js';
import type { OptimizeTask, TaskRow } from './optimize-task.js';
import type { TaskRunner } from './task-runner.js';

/** Where the bars are: files each worker reads, or series already loaded (from the database). */
export type OptimizeSource =
  | { kind: 'files'; files: Record<string, string> }
  | { kind: 'series'; series: PriceSeries[] };

/** An optimization to run. */
export interface OptimizeRequest {
  strategy: string;
  symbols: string[];
  source: OptimizeSource;
  from?: string;
  to?: string;
  /** Which prices the backtests use (default: adjusted signals and returns, traded fills). */
  priceMode?: PriceMode;
  config: EngineConfigInput;
  method: SearchMethod;
  /** The grid (or, for random/TPE, the value lists) to search; the strategy's declared ranges when absent. */
  axes?: GridAxes;
  trials?: number;
  seed?: number;
  objectives: string[];
  /** Walk-forward folds per symbol (0 or absent: none). */
  walkForward?: number;
  /** The dates of each symbol's bars in [from, to]: walk-forward cuts its windows on them. */
  calendars?: Record<string, string[]>;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** One backtest of the search. */
export interface OptimizeRow {
  symbol: string;
  params: Params;
  finalEquity: number | null;
  tradeCount: number | null;
  scores: Record<string, number | null>;
  error?: string;
}

/** The walk-forward result of one symbol. */
export interface SymbolWalkForward {
  symbol: string;
  folds: (WalkForwardFold & {
    inSample: { start: string; end: string };
    outOfSample: { start: string; end: string };
  })[];
  summary: WalkForwardSummary;
}

/** What an optimization found. */
export interface OptimizeReport {
  strategy: string;
  method: SearchMethod;
  /** The prices every backtest of the search used. */
  priceMode: PriceMode;
  objectives: string[];
  rows: OptimizeRow[];
  /** Per symbol: the best parameter set (one objective) or the Pareto front (several). */
  best: { symbol: string; params: Params; scores: Record<string, number | null> }[];
  front: { symbol: string; params: Params; scores: Record<string, number | null> }[];
  walkForward: SymbolWalkForward[];
  backtests: number;
}

/** Splits `items` into about `parts` chunks of equal size. */
function chunks<T>(items: T[], parts: number): T[][] {
  const size = Math.max(1, Math.ceil(items.length / Math.max(1, parts)));
  const out: T[][] = [];
  for (let k = 0; k < items.length; k += size) out.push(items.slice(k, k + size));
  return out;
}

/** Runs the optimization on `runner`. Cancel through `request.signal` (rejects with SearchAbortedError). */
export async function optimizeStrategy(
  request: OptimizeRequest,
  runner: TaskRunner,
): Promise<OptimizeReport> {
  const strategy = strategyByName(request.strategy);
  if (strategy.kind !== 'per_symbol') {
    throw new StrategyParamsError(
      `${strategy.name} ranks symbols against each other; optimize runs one symbol at a time, so use a per-symbol strategy`,
    );
  }
  const objectives: Objective[] = request.objectives.map(objectiveByName);
  const space = request.axes ?? strategy.space;
  const dimensions = toDimensions(space);
  for (const name of Object.keys(request.axes ?? {})) {
    if (!strategy.space.some((spec) => spec.name === name)) {
      throw new StrategyParamsError(
        `unknown parameter "${name}" for ${strategy.name}; its parameters are ${strategy.space.map((s) => s.name).join(', ')}`,
      );
    }
  }
  const taskBase = (symbol: string): Omit<OptimizeTask, 'params'> => {
    const base = {
      strategy: strategy.name,
      config: request.config,
      priceMode: request.priceMode ?? DEFAULT_PRICE_MODE,
      symbol,
      from: request.from,
      to: request.to,
    };
    if (request.source.kind === 'files')
      return { ...base, file: request.source.files[symbol] as string };
    const series = request.source.series.find((one) => one.symbol === symbol) as PriceSeries;
    return { ...base, series };
  };
  const rows: OptimizeRow[] = [];
  let done = 0;
  let total = 0;
  const progress = (count: number) => {
    done += count;
    request.onProgress?.(done, Math.max(total, done));
  };

  /** Evaluates params on one symbol (optionally a window), spread over the runner; rows in order. */
  const evaluate = async (
    symbol: string,
    params: Params[],
    window?: { start: number; end: number },
  ): Promise<TaskRow[]> => {
    const base = taskBase(symbol);
    // Enough tasks to keep every worker busy, but no more: each worker that gets a symbol reads its bars.
    const parts = chunks(params, Math.ceil((runner.parallelism * 2) / request.symbols.length));
    const results = await Promise.all(
      parts.map((part) =>
        runner.run({ ...base, window, params: part }, request.signal).then((out) => {
          progress(out.length);
          return out;
        }),
      ),
    );
    return results.flat();
  };

  const search = async (symbol: string, window?: { start: number; end: number }) => {
    const found = new Map<string, TaskRow>();
    const result = await runSearch({
      space,
      method: request.method,
      trials: request.trials,
      seed: request.seed,
      accept: strategy.accept,
      objectives,
      batchSize: request.method === 'grid' ? 1_000_000 : Math.max(8, runner.parallelism * 2),
      signal: request.signal,
      evaluateBatch: async (params) => {
        const out = await evaluate(symbol, params, window);
        for (const row of out) found.set(paramsKey(row.params, dimensions), row);
        return out.map((row) => row.metrics);
      },
    });
    return { result, found };
  };

  const toRow = (symbol: string, trial: SearchTrial, row: TaskRow | undefined): OptimizeRow => ({
    symbol,
    params: trial.params,
    finalEquity: row?.finalEquity ?? null,
    tradeCount: trial.metrics?.tradeCount ?? null,
    scores: trial.scores,
    ...(row?.error ? { error: row.error } : {}),
  });

  const folds = request.walkForward ?? 0;
  const perSymbolTrials =
    request.method === 'grid'
      ? (request.trials ?? Number.POSITIVE_INFINITY)
      : (request.trials ?? 100);
  total =
    request.symbols.length * (Number.isFinite(perSymbolTrials) ? perSymbolTrials * (1 + folds) : 0);
  const best: OptimizeReport['best'] = [];
  const front: OptimizeReport['front'] = [];
  const walkForward: SymbolWalkForward[] = [];
  await Promise.all(
    request.symbols.map(async (symbol) => {
      const { result, found } = await search(symbol);
      for (const trial of result.trials)
        rows.push(toRow(symbol, trial, found.get(paramsKey(trial.params, dimensions))));
      if (result.best)
        best.push({ symbol, params: result.best.params, scores: result.best.scores });
      for (const trial of objectives.length > 1 ? result.front : [])
        front.push({ symbol, params: trial.params, scores: trial.scores });
      if (folds > 0) walkForward.push(await walkForwardFor(symbol));
    }),
  );

  async function walkForwardFor(symbol: string): Promise<SymbolWalkForward> {
    const dates = request.calendars?.[symbol];
    if (dates === undefined) throw new RangeError(`walk-forward needs the dates of ${symbol}`);
    const windows = walkForwardWindows(dates.length, folds);
    const objective = objectives[0] as Objective;
    const span = (range: { start: number; end: number }) => ({
      start: dates[range.start] ?? '',
      end: dates[range.end - 1] ?? '',
    });
    const out: SymbolWalkForward['folds'] = [];
    for (const window of windows) {
      const { result } = await search(symbol, window.inSample);
      const chosen = result.best ?? result.trials[0];
      if (!chosen) continue;
      const [oos] = await evaluate(symbol, [chosen.params], window.outOfSample);
      const oosMetrics = oos?.metrics ?? null;
      out.push({
        bestParams: chosen.params,
        inSampleScore: chosen.scores[objective.name] ?? null,
        outOfSampleScore: oosMetrics ? objective.value(oosMetrics) : null,
        outOfSampleMetrics: oosMetrics,
        inSample: span(window.inSample),
        outOfSample: span(window.outOfSample),
      });
    }
    return {
      symbol,
      folds: out,
      summary: summarizeWalkForward(out, { direction: objective.direction }),
    };
  }

  // Symbols finish in any order; report them in the order asked.
  const order = (a: { symbol: string }, b: { symbol: string }) =>
    request.symbols.indexOf(a.symbol) - request.symbols.indexOf(b.symbol);
  rows.sort(order);
  best.sort(order);
  front.sort(order);
  walkForward.sort(order);
  return {
    strategy: strategy.name,
    method: request.method,
    priceMode: request.priceMode ?? DEFAULT_PRICE_MODE,
    objectives: objectives.map((o) => o.name),
    rows,
    best,
    front,
    walkForward,
    backtests: done,
  };
}
