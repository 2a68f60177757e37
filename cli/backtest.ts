/** `countersign backtest`: one strategy over one or more symbols sharing one cash balance. */
import { type BacktestResult, runBacktest } from '../core/engine/backtest.js';
import { parseParams } from '../core/optimize/param-space.js';
import { describePriceMode } from '../core/series/price-series.js';
import { strategyByName } from '../core/strategies/index.js';
import { reportRunFailure } from './input-errors.js';
import { loadViews } from './load-views.js';
import { money, percent, ratio, table, toJson } from './output.js';
import { parseRunOptions, type RunOptionText } from './run-options.js';

/** Options of the backtest command. */
export interface BacktestOptions extends RunOptionText {
  strategy: string;
  params?: string;
  json?: boolean;
  curve?: boolean;
}

/** The JSON document `backtest --json` prints. */
export function backtestJson(result: BacktestResult, elapsedMs: number, curve: boolean): unknown {
  return toJson({
    strategy: result.inputs.strategy,
    params: result.inputs.params,
    symbols: result.inputs.symbols,
    finalEquity: result.finalEquity,
    finalCash: result.finalCash,
    finalShares: result.finalShares,
    fills: result.fills.map((fill) => ({
      date: fill.date,
      side: fill.side,
      shares: fill.shares,
      price: fill.price,
    })),
    trades: result.trades,
    priceMode: result.inputs.priceMode,
    prices: describePriceMode(result.inputs.priceMode),
    corporateActions: result.corporateActions,
    metrics: result.metrics,
    inputs: result.inputs,
    ...(curve ? { curve: result.curve } : {}),
    elapsedMs,
  });
}

/** Which prices the run used and what it booked between fills. */
function pricesLine(result: BacktestResult): string {
  const { priceMode } = result.inputs;
  const { dividends, splitsApplied } = result.corporateActions;
  const booked =
    priceMode === 'adjusted'
      ? ` (${splitsApplied} split(s) applied to shares held, ${money(dividends)} dividends credited)`
      : '';
  return `${priceMode}: ${describePriceMode(priceMode)}${booked}`;
}

function summary(result: BacktestResult, elapsedMs: number): string {
  const { metrics: m, inputs } = result;
  const costs = result.fills.reduce((sum, fill) => sum + fill.commission + fill.slippage, 0);
  const dd = m.maxDrawdown;
  return table([
    [
      'Strategy',
      `${inputs.strategy} ${Object.entries(inputs.params)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    ],
    [
      'Symbols',
      `${inputs.symbols.join(', ')} (${inputs.priceMode} prices, fill ${inputs.config.fill}, ${inputs.config.direction})`,
    ],
    ['Prices', pricesLine(result)],
    ['Period', `${m.startDate} → ${m.endDate} (${m.bars.toLocaleString('en-US')} bars)`],
    ['Final equity', `${money(result.finalEquity)} from ${money(m.startEquity)}`],
    ['Total return', `${percent(m.totalReturn)} (CAGR ${percent(m.cagr)})`],
    ['Sharpe / Sortino', `${ratio(m.sharpe)} / ${ratio(m.sortino)}`],
    [
      'Max drawdown',
      `${percent(dd.depth)} from ${dd.peakDate} to ${dd.troughDate}, ${dd.recoveryDate ? `recovered ${dd.recoveryDate}` : 'not recovered'}`,
    ],
    [
      'Trades',
      `${m.tradeCount} (win rate ${percent(m.winRate)}, profit factor ${ratio(m.profitFactor)})`,
    ],
    ['Exposure', percent(m.exposure)],
    ['Fills / costs', `${result.fills.length} fills, ${money(costs)} commission and slippage`],
    ['Benchmark', `alpha ${percent(m.alpha)}, beta ${ratio(m.beta)} vs buy-and-hold`],
    ['Computed in', `${elapsedMs.toFixed(2)} ms`],
  ]);
}

/** Runs the backtest command; exit code 2 for bad input, 1 for failures. */
export async function backtestCommand(options: BacktestOptions): Promise<void> {
  try {
    const strategy = strategyByName(options.strategy);
    const params = options.params === undefined ? {} : parseParams(options.params);
    const run = parseRunOptions(options);
    if (strategy.kind === 'cross_sectional' && run.symbols.length < 2) {
      console.error(
        `countersign backtest: ${strategy.name} ranks symbols against each other; give at least 2 in --symbols`,
      );
      process.exitCode = 2;
      return;
    }
    const views = await loadViews(run);
    const started = performance.now();
    const result = runBacktest({ strategy: strategy.name, params, views, config: run.config });
    const elapsedMs = performance.now() - started;
    console.log(
      options.json
        ? JSON.stringify(backtestJson(result, elapsedMs, options.curve === true))
        : summary(result, elapsedMs),
    );
  } catch (error) {
    process.exitCode = reportRunFailure('backtest', error);
  }
}
