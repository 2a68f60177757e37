/** One unit of optimization work: some parameter sets backtested on one symbol's bars. Runs in any thread or process. */
import { scoreBacktest } from '../../core/engine/backtest.js';
import { type EngineConfigInput, resolveEngineConfig } from '../../core/engine/config.js';
import type { Metrics } from '../../core/metrics/metrics.js';
import type { Params } from '../../core/optimize/param-space.js';
import {
  type BarView,
  type PriceMode,
  type PriceSeries,
  priceView,
  sliceSeries,
  sliceView,
} from '../../core/series/price-series.js';
import { strategyByName } from '../../core/strategies/index.js';
import { parseStrategyParams, StrategyParamsError } from '../../core/strategies/params.js';
import type { Strategy, StrategyParams } from '../../core/strategies/strategy.js';
import { readSeriesFile } from '../market-data/series-file.js';

/** What a worker needs: where the bars are, which window of them, and which parameter sets to run. */
export interface OptimizeTask {
  strategy: string;
  config: EngineConfigInput;
  priceMode: PriceMode;
  symbol: string;
  /** A CSV file the worker reads itself (a path it can see), or the series inline. */
  file?: string;
  series?: PriceSeries;
  /**
   * Names the inline series for the worker's view cache (a queue worker gets the same bars again
   * and again under one key); without it an inline series is viewed afresh for each task.
   */
  seriesKey?: string;
  from?: string;
  to?: string;
  /** Bars [start, end) of the dated range (walk-forward windows); all of them when absent. */
  window?: { start: number; end: number };
  params: Params[];
}

/** One backtest's outcome; metrics null when the run itself was refused (the error says why). */
export interface TaskRow {
  params: Params;
  finalEquity: number | null;
  metrics: Metrics | null;
  error?: string;
}

const views = new Map<string, Promise<BarView>>();
/** Views a long-lived worker keeps at most (about 1.5 MB each for 20 years of daily bars). */
export const VIEW_CACHE_LIMIT = 600;

/** The view a task asks for; a worker keeps them, since folds and batches come back to the same bars. */
function viewFor(task: OptimizeTask): Promise<BarView> {
  const source = task.series ? task.seriesKey : task.file;
  const key =
    source === undefined
      ? undefined
      : `${source}|${task.priceMode}|${task.from ?? ''}|${task.to ?? ''}`;
  let view = key === undefined ? undefined : views.get(key);
  if (!view) {
    view = (async () => {
      const series = task.series ?? (await readSeriesFile(task.file as string));
      return priceView(sliceSeries(series, task.from, task.to), task.priceMode);
    })();
    if (key !== undefined) {
      // Least recently used first out: a Map iterates in insertion order.
      if (views.size >= VIEW_CACHE_LIMIT) views.delete(views.keys().next().value as string);
      views.set(key, view);
      view.catch(() => views.delete(key));
    }
  } else if (key !== undefined) {
    views.delete(key);
    views.set(key, view);
  }
  return view;
}

/** Parsed parameter sets (or their refusal), by strategy and value: every symbol of a grid repeats them. */
const parsed = new Map<string, StrategyParams | StrategyParamsError>();
const PARSED_LIMIT = 100_000;

function parsedParams(strategy: Strategy, raw: Params): StrategyParams {
  const key = `${strategy.name}|${JSON.stringify(raw)}`;
  let entry = parsed.get(key);
  if (entry === undefined) {
    try {
      entry = parseStrategyParams(strategy, raw);
    } catch (error) {
      if (!(error instanceof StrategyParamsError)) throw error;
      entry = error;
    }
    if (parsed.size >= PARSED_LIMIT) parsed.clear();
    parsed.set(key, entry);
  }
  if (entry instanceof StrategyParamsError) throw entry;
  return entry;
}

/** Runs every parameter set of the task; a refused set becomes a row with its error, not a failed task. */
export async function runOptimizeTask(task: OptimizeTask): Promise<TaskRow[]> {
  const strategy = strategyByName(task.strategy);
  const config = resolveEngineConfig(task.config);
  let view = await viewFor(task);
  if (task.window) view = sliceView(view, task.window.start, task.window.end);
  return task.params.map((raw) => {
    try {
      const params = parsedParams(strategy, raw);
      const score = scoreBacktest(strategy, params, [view], config);
      return { params: raw, finalEquity: score.finalEquity, metrics: score.metrics };
    } catch (error) {
      return { params: raw, finalEquity: null, metrics: null, error: (error as Error).message };
    }
  });
}
