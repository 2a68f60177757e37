/**
 * run_backtest: one strategy over stored daily bars (or the CLI's --data files), with the headline
 * figures and the last trades, or with detail 'full' every fill, trade and figure; each run is
 * stored, and readBacktest reads one back for the backtest:// resource and GET /api/backtests/:id.
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
import { REGIMES, type RegimeSeries, regimeOn } from '../models/regime.js';
import type { Pool } from '../store/db/pool.js';
import { FileRejected } from '../store/market-data/bar-file.js';
import { loadSeries, MissingDataError } from '../store/market-data/load-series.js';
import {
  BacktestIdError,
  type BacktestMetrics,
  type BacktestSettings,
  getBacktest,
  type StoredBacktest,
  saveBacktest,
  tradeRecord,
} from '../store/repos/backtests-repo.js';
import {
  ENGINE_SETTINGS,
  engineConfigOf,
  heldToBudget,
  snakeKeys,
  storedSettings,
} from './engine-settings.js';
import { regimesOf } from './market-regime.js';
import { seriesSourceOf } from './series-source.js';
import { defineTool, isoDate, RECORDS, ToolError, type ToolPrincipal } from './tool.js';

/** The most trades a result lists (the most recent ones). */
export const MAX_TRADES = 20;
/** The most symbols one backtest takes over a server (the command line has no such limit). */
export const MAX_SYMBOLS = 50;

const strategyNames = STRATEGIES.map((strategy) => strategy.name) as [string, ...string[]];

const input = z.object({
  strategy: z.enum(strategyNames).describe('Strategy name (parameters in the description).'),
  symbols: z
    .array(z.string().min(1).max(20))
    .min(1)
    .describe(`Tickers to trade, 1 to ${MAX_SYMBOLS}, e.g. ["AAPL"] (case does not matter).`),
  params: z
    .record(z.string(), z.number())
    .optional()
    .describe('Strategy parameters by name; omitted ones take their defaults.'),
  start: isoDate()
    .optional()
    .describe('First bar date, ISO YYYY-MM-DD, inclusive. Omitted: the first stored bar.'),
  end: isoDate()
    .optional()
    .describe('Last bar date, ISO YYYY-MM-DD, inclusive. Omitted: the latest stored bar.'),
  ...ENGINE_SETTINGS,
  regimes: z
    .array(z.enum(REGIMES))
    .min(1)
    .optional()
    .describe('Trade only in these market regimes (positions close on leaving).'),
  price_mode: z
    .enum(PRICE_MODES)
    .default(DEFAULT_PRICE_MODE)
    .describe(
      'adjusted (default): signals and returns on split- and dividend-adjusted prices, fills at traded prices, splits and dividends booked. raw: traded prices throughout.',
    ),
  detail: z
    .enum(['summary', 'full'])
    .default('summary')
    .describe('full: also every fill, trade and metric, end cash and shares, settings.'),
  curve: z
    .boolean()
    .default(false)
    .describe('With detail full: daily equity, drawdown and buy-and-hold curves.'),
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

const fill = z.object({
  symbol: z.string(),
  date: z.string(),
  side: z.enum(['buy', 'sell']),
  shares: z.number(),
  price: z.number(),
  commission: z.number(),
  slippage: z.number(),
  reason: z.string(),
});

const fingerprint = z.object({
  symbol: z.string(),
  bars: z.number(),
  first: z.string(),
  last: z.string(),
  close_checksum: z.string(),
});

const figure = z.number().nullable();
const metrics = z.object({
  start_date: z.string(),
  end_date: z.string(),
  bars: z.number(),
  start_equity: z.number(),
  end_equity: z.number(),
  total_return: z.number(),
  cagr: figure,
  annual_volatility: figure,
  sharpe: figure,
  sortino: figure,
  calmar: figure,
  max_drawdown: z.object({
    depth: z.number(),
    peak_date: z.string(),
    trough_date: z.string(),
    recovery_date: z.string().nullable(),
    duration_bars: z.number(),
    duration_days: z.number(),
  }),
  trade_count: z.number(),
  win_rate: figure,
  profit_factor: figure,
  expectancy: figure,
  average_win: figure,
  average_loss: figure,
  average_holding_bars: figure,
  best_trade: figure,
  worst_trade: figure,
  exposure: z.number(),
  turnover: z.number(),
  recovery_factor: figure,
  alpha: figure,
  beta: figure,
  information_ratio: figure,
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
  regimes: z
    .object({
      allowed: z.array(z.string()),
      days_allowed: z.number().describe('Bars in the run on an allowed regime day.'),
    })
    .optional()
    .describe('The regime filter, when given.'),
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
    .describe(
      `The ${MAX_TRADES} most recent trades at most (detail full: all), by exit date, oldest first.`,
    ),
  trades_omitted: z.number().describe('Earlier trades not listed (trade_count − trades listed).'),
  elapsed_ms: z.number().describe('Time to load the data and run, in milliseconds.'),
  final_cash: z.number().optional().describe('detail full: cash at the end, USD.'),
  final_shares: z
    .record(z.string(), z.number())
    .optional()
    .describe('detail full: shares held at the end, by ticker (negative: short).'),
  fills: z.array(fill).optional().describe('detail full: every fill, in order.'),
  metrics: metrics.optional().describe('detail full: every figure (fractions; USD).'),
  inputs: z
    .object({
      strategy: z.string(),
      params: z.record(z.string(), z.number()),
      symbols: z.array(z.string()),
      price_mode: z.enum(PRICE_MODES),
      config: z.record(z.string(), z.unknown()),
      data: z.array(fingerprint),
    })
    .optional()
    .describe(
      'detail full: what replays the run: resolved settings and a fingerprint of the bars.',
    ),
  curve: z
    .object({
      dates: z.array(z.string()),
      equity: z.array(figure),
      drawdown: z.array(figure),
      benchmark: z.array(figure),
    })
    .optional()
    .describe('detail full with curve: daily equity (USD), drawdown and buy-and-hold equity.'),
  run_ms: z.number().optional().describe('detail full: time of the simulation alone, ms.'),
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

/** A curve as JSON numbers: NaN or Infinity (none expected) become null. */
function finite(values: ArrayLike<number>): (number | null)[] {
  return Array.from(values, (value) => (Number.isFinite(value) ? value : null));
}

/** What detail 'full' adds: every fill and figure, the end state, the replay record. */
function fullDetail(result: BacktestResult, withCurve: boolean, runMs: number) {
  return {
    final_cash: result.finalCash,
    final_shares: { ...result.finalShares },
    fills: result.fills.map((one) => ({
      symbol: one.symbol,
      date: one.date,
      side: one.side,
      shares: one.shares,
      price: one.price,
      commission: one.commission,
      slippage: one.slippage,
      reason: one.reason,
    })),
    metrics: snakeKeys(result.metrics) as z.infer<typeof metrics>,
    inputs: {
      strategy: result.inputs.strategy,
      params: result.inputs.params,
      symbols: result.inputs.symbols,
      price_mode: result.inputs.priceMode,
      config: snakeKeys(result.inputs.config) as Record<string, unknown>,
      data: snakeKeys(result.inputs.data) as z.infer<typeof fingerprint>[],
    },
    ...(withCurve
      ? {
          curve: {
            dates: result.curve.dates,
            equity: finite(result.curve.equity),
            drawdown: finite(result.curve.drawdown),
            benchmark: finite(result.curve.benchmark),
          },
        }
      : {}),
    run_ms: runMs,
  };
}

/** Domain errors a caller can fix by changing the input. */
function asToolError(error: unknown): unknown {
  if (
    error instanceof StrategyParamsError ||
    error instanceof BacktestInputError ||
    error instanceof EngineConfigError ||
    error instanceof MissingDataError ||
    error instanceof FileRejected
  ) {
    return new ToolError(error.message, 'bad_input');
  }
  return error;
}

/** The output of run_backtest (with detail 'full': the optional members are there). */
export type RunBacktestOutput = z.infer<typeof output>;

export const runBacktestTool = defineTool({
  name: 'run_backtest',
  title: 'Backtest a strategy',
  description: `Simulates one trading strategy on stored daily bars and returns its figures: final_equity, total_return, cagr, sharpe, max_drawdown (fractions; money in USD), trade_count, win_rate, and at most the last ${MAX_TRADES} trades (trades_omitted counts the rest). Defaults: long-only, all-in, whole shares, no costs or stops, fills at the next open, adjusted prices, the whole stored history. Strategies and their parameters: ${STRATEGIES.map((s) => `${s.name} (${s.space.map((p) => `${p.name} ${p.min}–${p.max}`).join(', ')})`).join('; ')}. Each run is stored: its resource backtest://<id> has its settings, all trades and the equity curve. Use it to test an idea on history; it trades nothing. Past results do not predict future returns. Use optimize_strategy to search parameters, not repeated calls.`,
  input,
  output,
  // Not a write in the approval sense (it proposes nothing, so the 'read' scope runs it), but it
  // stores a record of each run, so MCP clients are not told it is read-only.
  writes: false,
  annotations: RECORDS,
  async handler(request, context) {
    const { pool, principal, progress, signal } = context;
    const started = performance.now();
    const symbols = request.symbols.map((symbol) => symbol.trim().toUpperCase());
    if (symbols.length > MAX_SYMBOLS && heldToBudget(context)) {
      throw new ToolError(
        `symbols lists ${symbols.length} tickers; a backtest takes 1 to ${MAX_SYMBOLS}. Use fewer symbols.`,
        'bad_input',
      );
    }
    if (request.start && request.end && request.start > request.end) {
      throw new ToolError(
        `start ${request.start} is after end ${request.end}; give start ≤ end`,
        'bad_input',
      );
    }
    const source = seriesSourceOf(context);
    progress(0, 3, `loading prices of ${symbols.length} symbol(s)`);
    try {
      const series = await loadSeries(source, { symbols, from: request.start, to: request.end });
      signal.throwIfAborted();
      progress(1, 3, 'prices loaded; running the backtest');
      const wanted = request.regimes;
      const regimeDays = wanted ? await regimesOf(context) : undefined;
      const allowed = wanted
        ? (date: string) => {
            const day = regimeOn(regimeDays as RegimeSeries, date);
            return day !== undefined && day.date === date && wanted.includes(day.regime);
          }
        : undefined;
      const runStarted = performance.now();
      const result = runBacktest({
        strategy: request.strategy,
        params: request.params,
        views: series.map((one) => priceView(one, request.price_mode)),
        config: engineConfigOf(request),
        ...(allowed ? { allowed } : {}),
      });
      const runMs = performance.now() - runStarted;
      signal.throwIfAborted();
      progress(2, 3, 'backtest done; storing and summarising');
      // Trades by exit, then entry date (the engine groups them by symbol): stored all in this
      // order, and the result lists the most recent ones.
      const ordered = [...result.trades].sort(
        (a, b) => a.exitDate.localeCompare(b.exitDate) || a.entryDate.localeCompare(b.entryDate),
      );
      // The repository's settings type names the five every run has; the rest are stored as given.
      const settings: BacktestSettings & Record<string, unknown> = {
        ...storedSettings(request),
        price_mode: request.price_mode,
        ...(wanted ? { regimes: wanted } : {}),
        // Where the bars came from: the database, or files the caller named (the CLI's --data).
        bars_from: source.kind,
      };
      const id = await saveBacktest(pool, {
        createdBy: principal.id,
        strategy: result.inputs.strategy,
        params: result.inputs.params,
        symbols: result.inputs.symbols,
        startDate: result.metrics.startDate,
        endDate: result.metrics.endDate,
        settings,
        metrics: storedMetrics(result),
        curve: result.curve,
        trades: ordered,
      });
      const { metrics: figures } = result;
      const full = request.detail === 'full';
      const trades = (full ? ordered : ordered.slice(-MAX_TRADES)).map(tradeRecord);
      progress(3, 3, 'done');
      return {
        id,
        resource: `backtest://${id}`,
        strategy: result.inputs.strategy,
        params: result.inputs.params,
        symbols: result.inputs.symbols,
        price_mode: result.inputs.priceMode,
        ...(wanted && allowed
          ? {
              regimes: {
                allowed: wanted,
                days_allowed: result.curve.dates.filter(allowed).length,
              },
            }
          : {}),
        prices: describePriceMode(result.inputs.priceMode),
        dividends: result.corporateActions.dividends,
        splits_applied: result.corporateActions.splitsApplied,
        currency: 'USD',
        start: figures.startDate,
        end: figures.endDate,
        bars: figures.bars,
        final_equity: result.finalEquity,
        total_return: figures.totalReturn,
        cagr: figures.cagr,
        sharpe: figures.sharpe,
        max_drawdown: figures.maxDrawdown.depth,
        trade_count: figures.tradeCount,
        win_rate: figures.winRate,
        trades,
        trades_omitted: result.trades.length - trades.length,
        elapsed_ms: performance.now() - started,
        ...(full ? fullDetail(result, request.curve, runMs) : {}),
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
