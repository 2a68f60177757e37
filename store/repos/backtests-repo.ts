/** Stored backtests: a finished run, what reproduces it (strategy, params, symbols, dates, settings, engine version) and what it produced. */
import type { Trade } from '../../core/engine/trade.js';
import { ENGINE_VERSION } from '../../core/engine/version.js';
import type { Pool, PoolClient } from '../db/pool.js';

type Queryable = Pool | PoolClient;

/** The most points a stored equity curve keeps. */
export const MAX_CURVE_POINTS = 500;

/** What a uuid looks like; anything else is refused before it reaches PostgreSQL. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The engine settings a run used, as run_backtest takes them. */
export interface BacktestSettings {
  cash: number;
  commission_bps: number;
  slippage_bps: number;
  fill: 'next_open' | 'close';
  price_mode: 'raw' | 'adjusted';
}

/** One point of a stored equity curve (USD at that day's close). */
export interface EquityPoint {
  date: string;
  equity: number;
}

/** One round-trip trade as stored and shown (snake_case, like run_backtest's output). */
export interface TradeRecord {
  symbol: string;
  direction: 'long' | 'short';
  entry_date: string;
  entry_price: number;
  exit_date: string;
  exit_price: number;
  quantity: number;
  pnl: number;
  return_pct: number;
  bars: number;
  exit_reason: string;
}

/** The figures of a run: plain JSON numbers, strings or null. */
export type BacktestMetrics = Record<string, number | string | null>;

/** A finished run to store. */
export interface NewBacktest {
  /** principals.id of who ran it; null for the system. */
  createdBy: string | null;
  strategy: string;
  params: Record<string, number>;
  symbols: string[];
  /** ISO dates of the first and last bar of the run. */
  startDate: string;
  endDate: string;
  settings: BacktestSettings;
  metrics: BacktestMetrics;
  /** The whole curve, one value per bar; stored downsampled (see downsampleCurve). */
  curve: { dates: readonly string[]; equity: ArrayLike<number> };
  /** Every trade of the run; all are stored. */
  trades: readonly Trade[];
}

/** A stored backtest. */
export interface StoredBacktest {
  id: string;
  createdBy: string | null;
  createdAt: Date;
  strategy: string;
  params: Record<string, number>;
  symbols: string[];
  startDate: string;
  endDate: string;
  settings: BacktestSettings;
  engineVersion: string;
  status: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  metrics: BacktestMetrics | null;
  equityCurve: EquityPoint[] | null;
  trades: TradeRecord[] | null;
  error: string | null;
  finishedAt: Date | null;
}

/** A backtest id that cannot be one (not a uuid); the message names it. */
export class BacktestIdError extends RangeError {
  constructor(readonly id: string) {
    super(
      `backtest id ${JSON.stringify(id.slice(0, 60))} is not a uuid (like 0b6f1c1e-8d9a-4f0e-9c4b-2a7e5d3f1a20); use the id run_backtest returned`,
    );
    this.name = 'BacktestIdError';
  }
}

/** A trade as stored and shown. */
export function tradeRecord(trade: Trade): TradeRecord {
  return {
    symbol: trade.symbol,
    direction: trade.direction,
    entry_date: trade.entryDate,
    entry_price: trade.entryPrice,
    exit_date: trade.exitDate,
    exit_price: trade.exitPrice,
    quantity: trade.quantity,
    pnl: trade.pnl,
    return_pct: trade.returnPct,
    bars: trade.bars,
    exit_reason: trade.exitReason,
  };
}

/**
 * The curve as at most `max` (default MAX_CURVE_POINTS, ≥ 2) {date, equity} points. The rule: a
 * curve of n ≤ max points is kept whole; a longer one keeps the points at indices
 * round(k·(n−1)/(max−1)) for k = 0 … max−1, evenly spaced in bars, so exactly `max` points with
 * the first and the last always kept (the step is > 1, so no index repeats). It is a picture of
 * the run, not a source of figures: a trough between two kept points can be skipped, so the
 * metrics (max drawdown included) come from the full curve. Equity is rounded to cents here,
 * once: the engine's floats stop at this boundary.
 */
export function downsampleCurve(
  dates: readonly string[],
  equity: ArrayLike<number>,
  max: number = MAX_CURVE_POINTS,
): EquityPoint[] {
  if (dates.length !== equity.length)
    throw new RangeError(`curve has ${dates.length} dates but ${equity.length} equity values`);
  if (!Number.isInteger(max) || max < 2)
    throw new RangeError(`max must be a whole number ≥ 2, got ${max}`);
  const n = dates.length;
  const point = (i: number): EquityPoint => ({
    date: dates[i] as string,
    equity: Math.round((equity[i] as number) * 100) / 100,
  });
  if (n <= max) return Array.from({ length: n }, (_, i) => point(i));
  return Array.from({ length: max }, (_, k) => point(Math.round((k * (n - 1)) / (max - 1))));
}

/** Stores a finished run (status 'done', finished now, the current ENGINE_VERSION); returns its id. */
export async function saveBacktest(db: Queryable, run: NewBacktest): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO backtests (created_by, strategy, params, symbols, start_date, end_date, settings,
       engine_version, status, metrics, equity_curve, trades, finished_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'done', $9, $10, $11, now())
     RETURNING id`,
    [
      run.createdBy,
      run.strategy,
      JSON.stringify(run.params),
      run.symbols,
      run.startDate,
      run.endDate,
      JSON.stringify(run.settings),
      ENGINE_VERSION,
      JSON.stringify(run.metrics),
      JSON.stringify(downsampleCurve(run.curve.dates, run.curve.equity)),
      JSON.stringify(run.trades.map(tradeRecord)),
    ],
  );
  return (rows[0] as { id: string }).id;
}

interface BacktestRow {
  id: string;
  created_by: string | null;
  created_at: Date;
  strategy: string;
  params: Record<string, number>;
  symbols: string[];
  start_date: string;
  end_date: string;
  settings: BacktestSettings;
  engine_version: string;
  status: StoredBacktest['status'];
  metrics: BacktestMetrics | null;
  equity_curve: EquityPoint[] | null;
  trades: TradeRecord[] | null;
  error: string | null;
  finished_at: Date | null;
}

/** The backtest with this id, or undefined. Throws BacktestIdError when `id` is not a uuid. */
export async function getBacktest(db: Queryable, id: string): Promise<StoredBacktest | undefined> {
  if (!UUID.test(id)) throw new BacktestIdError(id);
  const { rows } = await db.query<BacktestRow>(
    `SELECT id, created_by, created_at, strategy, params, symbols, start_date, end_date, settings,
       engine_version, status, metrics, equity_curve, trades, error, finished_at
     FROM backtests WHERE id = $1`,
    [id],
  );
  const row = rows[0];
  return (
    row && {
      id: row.id,
      createdBy: row.created_by,
      createdAt: row.created_at,
      strategy: row.strategy,
      params: row.params,
      symbols: row.symbols,
      startDate: row.start_date,
      endDate: row.end_date,
      settings: row.settings,
      engineVersion: row.engine_version,
      status: row.status,
      metrics: row.metrics,
      equityCurve: row.equity_curve,
      trades: row.trades,
      error: row.error,
      finishedAt: row.finished_at,
    }
  );
}
