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
import { parseStrategyParams } from '../../core/strategies/params.js';
import { readSeriesFile } from '../market-data/series-file.js';

/** Plain arrays instead of Float64Array, so a task survives JSON (BullMQ) as well as structured clone. */
export type SeriesData = Omit<
  PriceSeries,
  'open' | 'high' | 'low' | 'close' | 'adjClose' | 'volume'
> &
  Record<'open' | 'high' | 'low' | 'close' | 'adjClose' | 'volume', number[] | Float64Array>;

/** What a worker needs: where the bars are, which window of them, and which parameter sets to run. */
export interface OptimizeTask {
  strategy: string;
  config: EngineConfigInput;
  priceMode: PriceMode;
  symbol: string;
  /** A CSV file the worker reads itself (a path it can see), or the series inline. */
  file?: string;
  series?: SeriesData;
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

/** The view a task asks for; a worker keeps them, since folds and batches come back to the same bars. */
function viewFor(task: OptimizeTask): Promise<BarView> {
  const key = `${task.file ?? `inline:${task.symbol}`}|${task.priceMode}|${task.from ?? ''}|${task.to ?? ''}`;
  let view = task.series ? undefined : views.get(key);
  if (!view) {
    view = (async () => {
      const series = task.series
        ? toSeries(task.series)
        : await readSeriesFile(task.file as string);
      return priceView(sliceSeries(series, task.from, task.to), task.priceMode);
    })();
    if (!task.series) {
      views.set(key, view);
      view.catch(() => views.delete(key));
    }
  }
  return view;
}

function toSeries(data: SeriesData): PriceSeries {
  const column = (values: number[] | Float64Array) =>
    values instanceof Float64Array ? values : Float64Array.from(values);
  return {
    symbol: data.symbol,
    dates: data.dates,
    scale: data.scale,
    open: column(data.open),
    high: column(data.high),
    low: column(data.low),
    close: column(data.close),
    adjClose: column(data.adjClose),
    volume: column(data.volume),
  };
}

/** A series as a task carries it. */
export function seriesData(series: PriceSeries, json: boolean): SeriesData {
  if (!json) return series;
  return {
    ...series,
    open: [...series.open],
    high: [...series.high],
    low: [...series.low],
    close: [...series.close],
    adjClose: [...series.adjClose],
    volume: [...series.volume],
  };
}

/** Runs every parameter set of the task; a refused set becomes a row with its error, not a failed task. */
export async function runOptimizeTask(task: OptimizeTask): Promise<TaskRow[]> {
  const strategy = strategyByName(task.strategy);
  const config = resolveEngineConfig(task.config);
  let view = await viewFor(task);
  if (task.window) view = sliceView(view, task.window.start, task.window.end);
  return task.params.map((raw) => {
    try {
      const params = parseStrategyParams(strategy, raw);
      const score = scoreBacktest(strategy, params, [view], config);
      return { params: raw, finalEquity: score.finalEquity, metrics: score.metrics };
    } catch (error) {
      return { params: raw, finalEquity: null, metrics: null, error: (error as Error).message };
    }
  });
}
