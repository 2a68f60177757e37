/**
 * run_backtest: one strategy over stored daily bars, with the headline figures and the last
 * trades; each run is stored, and readBacktest reads one back for the backtest:// resource and
 * GET /api/backtests/:id.
 */
import { z } from 'zod';
import { BacktestInputError, type BacktestResult, runBacktest } from '../core/engine/backtest.js';
import { EngineConfigError } from '../core/engine/config.js';
import {
  DEFAULT_PRICE_MODE,
  describePriceMode,
  PRICE_MODES,
  priceView,
} from '../core/series/price-series.js';
import { STRATEGIES } from '../core/strategies/index.js';
import { StrategyParamsError } from '../core/strategies/params.js';
import type { Pool } from '../store/db/pool.js';
import { loadSeries, MissingDataError } from '../store/market-data/load-series.js';
import {
  BacktestIdError,
  type BacktestMetrics,
  getBacktest,
  type StoredBacktest,
  saveBacktest,
  tradeRecord,
} from '../store/repos/backtests-repo.js';
import { defineTool, isoDate, RECORDS, ToolError, type ToolPrincipal } from './tool.js';

/** The most trades a result lists (the most recent ones). */
export const MAX_TRADES = 20;
/** The most symbols one backtest takes. */
export const MAX_SYMBOLS = 50;

const strategyNames = STRATEGIES.map((strategy) => strategy.name) as [string, ...string[]];

const input = z.object({
  strategy: z.enum(strategyNames).describe(`Strategy name, one of: ${strategyNames.join(', ')}.`),
  symbols: z
    .array(z.string().min(1).max(20))
    .min(1)
    .max(MAX_SYMBOLS)
    .describe(`Tickers to trade, 1 to ${MAX_SYMBOLS}, e.g. ["AAPL"] (case does not matter).`),
  params: z
    .record(z.string(), z.number())
    .optional()
    .describe(
      'Strategy parameters by name (numbers); omitted ones take their defaults, unknown ones are an error.',
    ),
  start: isoDate()
    .optional()
    .describe('First bar date, ISO YYYY-MM-DD, inclusive. Omitted: the first stored bar.'),
  end: isoDate()
    .optional()
    .describe('Last bar date, ISO YYYY-MM-DD, inclusive. Omitted: the latest stored bar.'),
  cash: z
    .number()
    .positive()
    .max(1e12)
    .default(100_000)
    .describe('Starting cash in USD, > 0. Default 100000.'),
  commission_bps: z
    .number()
    .min(0)
    .max(1000)
    .default(0)
    .describe('Commission in basis points of each fill notional (1 bp = 0.01 %). Default 0.'),
  slippage_bps: z
    .number()
    .min(0)
    .max(1000)
    .default(0)
    .describe('Slippage against the trader in basis points of each fill. Default 0.'),
  fill: z
    .enum(['next_open', 'close'])
    .default('next_open')
    .describe(
      "next_open: a signal on a bar's close fills at the next bar's open (default, realistic). close: fills at the signal bar's close.",
    ),
  price_mode: z
    .enum(PRICE_MODES)
    .default(DEFAULT_PRICE_MODE)
    .describe(
      'adjusted (default): signals and returns on split- and dividend-adjusted prices, fills at the prices traded that day, splits applied to shares held and dividends credited to cash. raw: traded prices throughout (a split reads as a price fall).',
    ),
});

const trade = z.object({
  symbol: z.string().describe('Ticker.'),
  direction: z.enum(['long', 'short']).describe('Position direction.'),
  entry_date: z.string().describe('ISO date of the entry fill.'),
  entry_price: z.number().describe('Entry fill price (USD).'),
  exit_date: z.string().describe('ISO date of the exit fill (the last bar when still open).'),
  exit_price: z.number().describe('Exit fill price (USD).'),
  quantity: z.number().describe('Shares held.'),
  pnl: z.number().describe('Profit or loss in USD after commissions and slippage.'),
  return_pct: z.number().describe('pnl / entry notional, as a fraction (0.05 = 5 %).'),
  bars: z.number().describe('Bars held.'),
  exit_reason: z
    .string()
    .describe(
      'signal, stop_loss, take_profit, trailing_stop, rebalance or end_of_data (still open).',
    ),
});

const output = z.object({
  id: z
    .string()
    .describe('Id of the stored run (uuid): its full record, every trade and the equity curve.'),
  resource: z.string().describe('The MCP resource of the stored run, backtest://<id>.'),
  strategy: z.string().describe('Strategy run.'),
  params: z.record(z.string(), z.number()).describe('Parameters used, defaults filled in.'),
  symbols: z.array(z.string()).describe('Tickers traded.'),
  price_mode: z.enum(PRICE_MODES).describe('Which prices the run used (see prices).'),
  prices: z.string().describe('Which prices the run used, in words.'),
  dividends: z
    .number()
    .describe('Net dividends credited to cash while holding, USD (0 with raw prices).'),
  splits_applied: z
    .number()
    .describe('Splits applied to shares held across them (0 with raw prices).'),
  currency: z.string().describe('Currency of every amount (USD).'),
  start: z.string().describe('ISO date of the first bar of the run.'),
  end: z.string().describe('ISO date of the last bar of the run (the as-of date of the result).'),
  bars: z.number().describe('Trading days in the run.'),
  final_equity: z.number().describe('Cash plus positions at the last close, USD.'),
  total_return: z.number().describe('final_equity / cash − 1, as a fraction.'),
  cagr: z
    .number()
    .nullable()
    .describe('Compound annual growth rate, fraction; null when undefined.'),
  sharpe: z
    .number()
    .nullable()
    .describe('Annualised Sharpe ratio of daily returns (risk-free 0); null when undefined.'),
  max_drawdown: z.number().describe('Deepest peak-to-trough fall of equity, as a fraction ≥ 0.'),
  trade_count: z.number().describe('Round-trip trades, including any still open at the end.'),
  win_rate: z
    .number()
    .nullable()
    .describe('Share of trades with pnl > 0, fraction; null without trades.'),
  trades: z
    .array(trade)
    .describe(`The ${MAX_TRADES} most recent trades at most (by exit date), oldest first.`),
  trades_omitted: z.number().describe('Earlier trades not listed (trade_count − trades listed).'),
  elapsed_ms: z.number().describe('Time to load the data and run, in milliseconds.'),
});

/** Every figure of a run, snake_case: money in USD, ratios as fractions, max_drawdown as a depth. */
function storedMetrics(result: BacktestResult): BacktestMetrics {
  const { maxDrawdown, ...rest } = result.metrics;
  const figures: BacktestMetrics = { final_equity: result.finalEquity };
  for (const [key, value] of Object.entries(rest))
    figures[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = value;
  return {
    ...figures,
    max_drawdown: maxDrawdown.depth,
    max_drawdown_peak_date: maxDrawdown.peakDate,
    max_drawdown_trough_date: maxDrawdown.troughDate,
    max_drawdown_recovery_date: maxDrawdown.recoveryDate,
    max_drawdown_duration_bars: maxDrawdown.durationBars,
    max_drawdown_duration_days: maxDrawdown.durationDays,
  };
}

/** Domain errors a caller can fix by changing the input. */
function asToolError(error: unknown): unknown {
  if (
    error instanceof StrategyParamsError ||
    error instanceof BacktestInputError ||
    error instanceof EngineConfigError ||
    error instanceof MissingDataError
  ) {
    return new ToolError(error.message, 'bad_input');
  }
  return error;
}

export const runBacktestTool = defineTool({
  name: 'run_backtest',
  title: 'Backtest a strategy',
  description: `Simulates one trading strategy on stored daily bars and returns its figures: final_equity, total_return, cagr, sharpe, max_drawdown (fractions; money in USD), trade_count, win_rate, and at most the last ${MAX_TRADES} trades (trades_omitted counts the rest). Long-only, whole shares, all-in sizing; defaults: cash 100000 USD, 0 bps commission and slippage, fills at the next open, adjusted prices (signals and returns adjusted for splits and dividends; fills at traded prices), the whole stored history. Strategies and their parameters: ${STRATEGIES.map((s) => `${s.name} (${s.space.map((p) => `${p.name} ${p.min}–${p.max}`).join(', ')})`).join('; ')}. 1 to ${MAX_SYMBOLS} symbols. Each run is stored: id and resource (backtest://<id>) read back its settings, all trades and the equity curve. Use it to test an idea on history; it trades nothing. Past results do not predict future returns. Use optimize_strategy to search parameters, not repeated calls.`,
  input,
  output,
  // Not a write in the approval sense (it proposes nothing, so the 'read' scope runs it), but it
  // stores a record of each run, so MCP clients are not told it is read-only.
  writes: false,
  annotations: RECORDS,
  async handler(request, { pool, principal, progress, signal }) {
    const started = performance.now();
    const symbols = request.symbols.map((symbol) => symbol.trim().toUpperCase());
    if (request.start && request.end && request.start > request.end) {
      throw new ToolError(
        `start ${request.start} is after end ${request.end}; give start ≤ end`,
        'bad_input',
      );
    }
    progress(0, 3, `loading prices of ${symbols.length} symbol(s)`);
    try {
      const series = await loadSeries(
        { kind: 'database', pool },
        { symbols, from: request.start, to: request.end },
      );
      signal.throwIfAborted();
      progress(1, 3, 'prices loaded; running the backtest');
      const result = runBacktest({
        strategy: request.strategy,
        params: request.params,
        views: series.map((one) => priceView(one, request.price_mode)),
        config: {
          cash: request.cash,
          fill: request.fill,
          commission: { perShare: 0, bps: request.commission_bps, minimum: 0 },
          slippageBps: request.slippage_bps,
        },
      });
      signal.throwIfAborted();
      progress(2, 3, 'backtest done; storing and summarising');
      // Trades by exit, then entry date (the engine groups them by symbol): stored all in this
      // order, and the result lists the most recent ones.
      const ordered = [...result.trades].sort(
        (a, b) => a.exitDate.localeCompare(b.exitDate) || a.entryDate.localeCompare(b.entryDate),
      );
      const id = await saveBacktest(pool, {
        createdBy: principal.id,
        strategy: result.inputs.strategy,
        params: result.inputs.params,
        symbols: result.inputs.symbols,
        startDate: result.metrics.startDate,
        endDate: result.metrics.endDate,
        settings: {
          cash: request.cash,
          commission_bps: request.commission_bps,
          slippage_bps: request.slippage_bps,
          fill: request.fill,
          price_mode: request.price_mode,
        },
        metrics: storedMetrics(result),
        curve: result.curve,
        trades: ordered,
      });
      const { metrics } = result;
      const trades = ordered.slice(-MAX_TRADES).map(tradeRecord);
      progress(3, 3, 'done');
      return {
        id,
        resource: `backtest://${id}`,
        strategy: result.inputs.strategy,
        params: result.inputs.params,
        symbols: result.inputs.symbols,
        price_mode: result.inputs.priceMode,
        prices: describePriceMode(result.inputs.priceMode),
        dividends: result.corporateActions.dividends,
        splits_applied: result.corporateActions.splitsApplied,
        currency: 'USD',
        start: metrics.startDate,
        end: metrics.endDate,
        bars: metrics.bars,
        final_equity: result.finalEquity,
        total_return: metrics.totalReturn,
        cagr: metrics.cagr,
        sharpe: metrics.sharpe,
        max_drawdown: metrics.maxDrawdown.depth,
        trade_count: metrics.tradeCount,
        win_rate: metrics.winRate,
        trades,
        trades_omitted: result.trades.length - trades.length,
        elapsed_ms: performance.now() - started,
      };
    } catch (error) {
      throw asToolError(error);
    }
  },
});

/** A stored backtest as every channel shows it (snake_case; money in USD, ratios as fractions). */
export function backtestDocument(backtest: StoredBacktest): Record<string, unknown> {
  return {
    id: backtest.id,
    resource: `backtest://${backtest.id}`,
    status: backtest.status,
    strategy: backtest.strategy,
    params: backtest.params,
    symbols: backtest.symbols,
    start: backtest.startDate,
    end: backtest.endDate,
    settings: backtest.settings,
    engine_version: backtest.engineVersion,
    currency: 'USD',
    metrics: backtest.metrics,
    equity_curve: backtest.equityCurve,
    trades: backtest.trades,
    error: backtest.error,
    created_by: backtest.createdBy,
    created_at: backtest.createdAt.toISOString(),
    finished_at: backtest.finishedAt?.toISOString() ?? null,
  };
}

/** What reading a stored backtest answers: its document, or why not (codes as the tool gate's). */
export type BacktestRead =
  | { ok: true; output: Record<string, unknown> }
  | { ok: false; code: 'bad_input' | 'not_found' | 'forbidden'; message: string };

/**
 * The stored backtest `id` as `principal` may see it: the 'read' scope is enough, and any reader
 * sees any run (a backtest is research on market data, tied to no account). It serves the
 * backtest:// resource and GET /api/backtests/:id; expected failures are values, never throws.
 */
export async function readBacktest(
  pool: Pool,
  principal: ToolPrincipal,
  id: string,
): Promise<BacktestRead> {
  if (!principal.scopes.includes('read'))
    return {
      ok: false,
      code: 'forbidden',
      message: `reading backtest ${JSON.stringify(id.slice(0, 60))} needs the 'read' scope; ask for a token with it (\`countersign token create --principal <name> --scopes read\`).`,
    };
  try {
    const backtest = await getBacktest(pool, id);
    if (!backtest)
      return {
        ok: false,
        code: 'not_found',
        message: `no backtest with id ${JSON.stringify(id)}; run_backtest returns the id of each run it stores.`,
      };
    return { ok: true, output: backtestDocument(backtest) };
  } catch (error) {
    if (error instanceof BacktestIdError)
      return { ok: false, code: 'bad_input', message: error.message };
    throw error;
  }
}
