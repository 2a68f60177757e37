/** `countersign backtest`: one strategy over one or more symbols sharing one cash balance, through run_backtest. */
import { parseParams } from '../core/optimize/param-space.js';
import { strategyByName } from '../core/strategies/index.js';
import { type RunBacktestOutput, runBacktestTool } from '../tools/run-backtest.js';
import { reportRunFailure } from './input-errors.js';
import { money, percent, ratio, table } from './output.js';
import { engineArgs, parseRunOptions, type RunOptionText } from './run-options.js';
import { callTool } from './run-tool.js';

/** Options of the backtest command. */
export interface BacktestOptions extends RunOptionText {
  strategy: string;
  params?: string;
  json?: boolean;
  curve?: boolean;
}

/** run_backtest's answer with detail 'full': every optional member is there. */
type FullBacktest = Required<Omit<RunBacktestOutput, 'curve'>> & Pick<RunBacktestOutput, 'curve'>;

/**
 * The JSON document `backtest --json` prints, from run_backtest's full answer (already snake_case
 * and JSON-safe). final_shares is keyed by ticker.
 */
export function backtestJson(result: FullBacktest, elapsedMs: number): unknown {
  return {
    id: result.id,
    strategy: result.strategy,
    params: result.params,
    symbols: result.symbols,
    final_equity: result.final_equity,
    final_cash: result.final_cash,
    final_shares: result.final_shares,
    fills: result.fills.map((fill) => ({
      date: fill.date,
      side: fill.side,
      shares: fill.shares,
      price: fill.price,
    })),
    trades: result.trades,
    price_mode: result.price_mode,
    prices: result.prices,
    corporate_actions: { dividends: result.dividends, splits_applied: result.splits_applied },
    metrics: result.metrics,
    inputs: result.inputs,
    ...(result.curve ? { curve: result.curve } : {}),
    elapsed_ms: elapsedMs,
  };
}

/** Which prices the run used and what it booked between fills. */
function pricesLine(result: FullBacktest): string {
  const booked =
    result.price_mode === 'adjusted'
      ? ` (${result.splits_applied} split(s) applied to shares held, ${money(result.dividends)} dividends credited)`
      : '';
  return `${result.price_mode}: ${result.prices}${booked}`;
}

function summary(result: FullBacktest, elapsedMs: number): string {
  const { metrics: m, inputs } = result;
  const config = inputs.config as { fill: string; direction: string };
  const costs = result.fills.reduce((sum, fill) => sum + fill.commission + fill.slippage, 0);
  const dd = m.max_drawdown;
  return table([
    [
      'Strategy',
      `${inputs.strategy} ${Object.entries(inputs.params)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    ],
    [
      'Symbols',
      `${inputs.symbols.join(', ')} (${inputs.price_mode} prices, fill ${config.fill}, ${config.direction})`,
    ],
    ['Prices', pricesLine(result)],
    ['Period', `${m.start_date} → ${m.end_date} (${m.bars.toLocaleString('en-US')} bars)`],
    ['Final equity', `${money(result.final_equity)} from ${money(m.start_equity)}`],
    ['Total return', `${percent(m.total_return)} (CAGR ${percent(m.cagr)})`],
    ['Sharpe / Sortino', `${ratio(m.sharpe)} / ${ratio(m.sortino)}`],
    [
      'Max drawdown',
      `${percent(dd.depth)} from ${dd.peak_date} to ${dd.trough_date}, ${dd.recovery_date ? `recovered ${dd.recovery_date}` : 'not recovered'}`,
    ],
    [
      'Trades',
      `${m.trade_count} (win rate ${percent(m.win_rate)}, profit factor ${ratio(m.profit_factor)})`,
    ],
    ['Exposure', percent(m.exposure)],
    ['Fills / costs', `${result.fills.length} fills, ${money(costs)} commission and slippage`],
    ['Benchmark', `alpha ${percent(m.alpha)}, beta ${ratio(m.beta)} vs buy-and-hold`],
    ['Computed in', `${elapsedMs.toFixed(2)} ms`],
    ['Stored as', `backtest ${result.id}`],
  ]);
}

/** Runs the backtest command; exit code 2 for bad input, 1 for failures. */
export async function backtestCommand(options: BacktestOptions): Promise<void> {
  try {
    const strategy = strategyByName(options.strategy);
    const params = options.params === undefined ? undefined : parseParams(options.params);
    const run = parseRunOptions(options);
    if (strategy.kind === 'cross_sectional' && run.symbols.length < 2) {
      console.error(
        `countersign backtest: ${strategy.name} ranks symbols against each other; give at least 2 in --symbols`,
      );
      process.exitCode = 2;
      return;
    }
    const result = (await callTool(
      runBacktestTool,
      {
        strategy: strategy.name,
        symbols: run.symbols,
        ...(params ? { params } : {}),
        ...(run.from !== undefined ? { start: run.from } : {}),
        ...(run.to !== undefined ? { end: run.to } : {}),
        ...engineArgs(run.config),
        price_mode: run.priceMode,
        detail: 'full',
        ...(options.json && options.curve ? { curve: true } : {}),
      },
      run.data !== undefined ? { data: run.data } : {},
    )) as FullBacktest;
    // The simulation's own time, as before the run went through the tool (which also loads and stores).
    const elapsedMs = result.run_ms;
    console.log(
      options.json ? JSON.stringify(backtestJson(result, elapsedMs)) : summary(result, elapsedMs),
    );
  } catch (error) {
    process.exitCode = reportRunFailure('backtest', error);
  }
}
