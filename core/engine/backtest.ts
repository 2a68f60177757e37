/** One backtest from request to result: validated inputs, the simulation, metrics, and a record to replay it. */
import { computeMetrics, drawdownCurve } from '../metrics/compute-metrics.js';
import type { Metrics } from '../metrics/metrics.js';
import { buildPanel } from '../series/panel.js';
import type { BarView, PriceMode } from '../series/price-series.js';
import { gateStrategy } from '../strategies/gated.js';
import { strategyByName } from '../strategies/index.js';
import { parseStrategyParams } from '../strategies/params.js';
import type { HistoryNeed, Strategy, StrategyParams } from '../strategies/strategy.js';
import { type EngineConfig, type EngineConfigInput, resolveEngineConfig } from './config.js';
import { type Simulation, simulate } from './simulate.js';
import type { Fill, Trade } from './trade.js';

/** What to run: the strategy by name, its parameters, the bars (already cut to the date range) and the settings. */
export interface BacktestRequest {
  strategy: string;
  params?: StrategyParams;
  views: BarView[];
  config?: EngineConfigInput;
  /** Trade only on the days this allows (core/strategies/gated.ts); omitted: every day. */
  allowed?: (date: string) => boolean;
}

/** A fingerprint of the bars a run used, so a replay can tell it has the same data. */
export interface DataFingerprint {
  symbol: string;
  bars: number;
  first: string;
  last: string;
  /** FNV-1a (word-wise) over the close ticks: changes when any close changes. */
  closeChecksum: string;
}

/** Everything needed to run the backtest again and get the same result. */
export interface BacktestInputs {
  strategy: string;
  params: StrategyParams;
  symbols: string[];
  priceMode: PriceMode;
  config: EngineConfig;
  data: DataFingerprint[];
}

/** A finished backtest. */
export interface BacktestResult {
  inputs: BacktestInputs;
  /** Cash plus positions at the last close; exact on the price grid for whole shares. */
  finalEquity: number;
  finalCash: number;
  finalShares: Record<string, number>;
  fills: Fill[];
  trades: Trade[];
  /** What an adjusted run booked between fills: net dividends to cash, splits to shares held. */
  corporateActions: { dividends: number; splitsApplied: number };
  metrics: Metrics;
  curve: { dates: string[]; equity: Float64Array; drawdown: Float64Array; benchmark: Float64Array };
}

/** Input the engine refuses (no data, wrong strategy kind); the message names the value. */
export class BacktestInputError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'BacktestInputError';
  }
}

/** The figures of one run, without the curves and records (what optimization needs, thousands of times). */
export interface BacktestScore {
  finalEquity: number;
  metrics: Metrics;
}

/**
 * Runs one backtest for scoring: params and config must already be resolved (parseStrategyParams,
 * resolveEngineConfig), which an optimizer does once per parameter set rather than per call.
 */
export function scoreBacktest(
  strategy: Strategy,
  params: StrategyParams,
  views: BarView[],
  config: EngineConfig,
): BacktestScore {
  const panel = buildPanel(views);
  const run = simulate(strategy, params, panel, config, scratchFor(panel.dates.length));
  const metrics = metricsOf(run, config);
  return { finalEquity: run.finalEquity, metrics };
}

/** The metrics of a simulation, against its buy-and-hold benchmark. */
function metricsOf(run: Simulation, config: EngineConfig): Metrics {
  return computeMetrics({
    dates: run.dates,
    equity: run.equity,
    exposure: run.exposure,
    tradedNotional: run.tradedNotional,
    trades: run.trades,
    benchmark: run.benchmark,
    riskFreeRate: config.riskFreeRate,
  });
}

let scratch = { equity: new Float64Array(0), exposure: new Float64Array(0) };

/** Curve buffers for scoring runs: the metrics read them at once and nothing keeps them. */
function scratchFor(length: number) {
  if (scratch.equity.length !== length) {
    scratch = { equity: new Float64Array(length), exposure: new Float64Array(length) };
  }
  return scratch;
}

/** Runs one backtest. Throws StrategyParamsError, EngineConfigError or BacktestInputError on bad input. */
export function runBacktest(request: BacktestRequest): BacktestResult {
  const named = strategyByName(request.strategy);
  const strategy = request.allowed ? gateStrategy(named, request.allowed) : named;
  const params = parseStrategyParams(strategy, request.params ?? {});
  const config = resolveEngineConfig(request.config);
  const { views } = request;
  if (views.length === 0) throw new BacktestInputError('no symbols to backtest; give at least one');
  for (const view of views) {
    if (view.dates.length < 2) {
      throw new BacktestInputError(
        `${view.symbol} has ${view.dates.length} bar(s) in the range; a backtest needs at least 2`,
      );
    }
  }
  const symbols = views.map((view) => view.symbol);
  const duplicate = symbols.find((symbol, k) => symbols.indexOf(symbol) !== k);
  if (duplicate) throw new BacktestInputError(`symbol ${duplicate} is listed twice`);
  const need = strategy.history(params);
  if (!views.some((view) => view.dates.length >= need.bars)) {
    throw new BacktestInputError(tooLittleHistory(strategy.name, need, views));
  }
  const panel = buildPanel(views);
  const run = simulate(strategy, params, panel, config);
  const metrics = metricsOf(run, config);
  return {
    inputs: {
      strategy: strategy.name,
      params,
      symbols,
      priceMode: views[0]?.mode ?? 'raw',
      config,
      data: views.map(fingerprint),
    },
    finalEquity: run.finalEquity,
    finalCash: run.finalCash,
    finalShares: run.finalShares,
    fills: run.fills,
    trades: run.trades,
    corporateActions: { dividends: run.dividends, splitsApplied: run.splitsApplied },
    metrics,
    curve: {
      dates: run.dates,
      equity: run.equity,
      drawdown: drawdownCurve(run.equity),
      benchmark: run.benchmark,
    },
  };
}

/** Symbols named in the too-little-history message before "and N more". */
const SHORT_SYMBOLS_SHOWN = 5;

/**
 * Why a run could not trade: how many bars the strategy needs with these parameters, and how many
 * each symbol has, e.g. "sma_cross slow=50 needs at least 51 bars (the slow average takes 50 bars
 * and a cross one more); AAPL has 30, 2021-01-04 to 2021-02-12. …".
 */
export function tooLittleHistory(name: string, need: HistoryNeed, views: BarView[]): string {
  const shown = views.slice(0, SHORT_SYMBOLS_SHOWN).map((view) => {
    const first = view.dates[0];
    const last = view.dates[view.dates.length - 1];
    return `${view.symbol} has ${view.dates.length}, ${first} to ${last}`;
  });
  const more = views.length - shown.length;
  const have =
    more > 0 ? `${shown.join('; ')}; and ${more} more symbols, each with fewer` : shown.join('; ');
  const setting = need.params ? `${name} ${need.params}` : name;
  return (
    `${setting} needs at least ${need.bars} bars (${need.because}); ${have}. ` +
    `Start the range earlier${need.params ? ` or use a smaller ${need.params.split('=')[0]}` : ''}.`
  );
}

/** The fingerprint of one view's bars. */
export function fingerprint(view: BarView): DataFingerprint {
  let hash = 0x811c9dc5;
  for (let i = 0; i < view.closeTicks.length; i++) {
    const tick = view.closeTicks[i] as number;
    // Two 32-bit words per tick (ToUint32 is exact modulo 2^32 for integers below 2^53).
    hash = Math.imul(hash ^ (tick >>> 0), 0x01000193);
    hash = Math.imul(hash ^ Math.floor(tick / 4294967296), 0x01000193);
  }
  return {
    symbol: view.symbol,
    bars: view.dates.length,
    first: view.dates[0] ?? '',
    last: view.dates[view.dates.length - 1] ?? '',
    closeChecksum: (hash >>> 0).toString(16).padStart(8, '0'),
  };
}
