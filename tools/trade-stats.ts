/**
 * trade_stats: the account's closed trades — fills matched first in, first out per symbol — with
 * count, wins, win rate, P&L and holding time, grouped by symbol, strategy, exit weekday or month.
 * Trades imported from another platform (`countersign import-trades`) are matched with the fills
 * as fills of their trade date (00:00 UTC, before that day's fills, in file order), and every
 * closed trade with an imported side is counted as such. An account without imported trades
 * gets exactly the figures of its fills.
 */
import { z } from 'zod';
import {
  type RoundTrip,
  roundTrips,
  type TradeFill,
  tripKey,
  tripStats,
} from '../core/metrics/round-trips.js';
import { requireReadAccess } from './account-access.js';
import { defineTool, isoDate, READ_ONLY, ToolError } from './tool.js';

const cents = (value: number) => Math.round(value * 100) / 100;

/**
 * Imported lots carry this before their strategy label, so that roundTrips (which makes one
 * round trip per strategy of the lots a fill closes) keeps them apart from the platform's own
 * lots and each trip says whether its entry was imported. No label can hold a NUL.
 */
const IMPORTED = '\u0000imported:';

/** The later of two times as ISO text; null when neither is given. */
function latest(a: Date | undefined, b: Date | undefined): string | null {
  const last = a && b ? (a > b ? a : b) : (a ?? b);
  return last ? last.toISOString() : null;
}

export const tradeStats = defineTool({
  name: 'trade_stats',
  title: 'Trade statistics',
  description:
    "Closed trades of the account (fills and imported trades, matched first in, first out per symbol): count, wins, losses, win rate, P&L in USD after commissions (total, average, best, worst) and average holding days, grouped by symbol, strategy (the label given when proposed; '(none)' without), exit weekday (UTC, '1 Monday'…) or exit month ('YYYY-MM'). start/end filter by exit date. Imported trades count as fills at 00:00 UTC of their date. Open positions are listed apart. For one trade use explain_trade. Read-only.",
  input: z.object({
    account: z.string().min(1).max(40).default('paper').describe("Account id; default 'paper'"),
    group_by: z
      .enum(['symbol', 'strategy', 'weekday', 'month'])
      .default('symbol')
      .describe("Grouping: symbol, strategy, weekday or month (of the exit); default 'symbol'"),
    start: isoDate()
      .optional()
      .describe('First exit day (ISO date, inclusive, UTC); default: the first trade'),
    end: isoDate().optional().describe('Last exit day (ISO date, inclusive, UTC); default: today'),
  }),
  output: z.object({
    account: z.string().describe('Account id'),
    currency: z.string().describe('Currency of every amount (USD)'),
    group_by: z.string().describe('The grouping used'),
    start: z.string().nullable().describe('First exit day used, or null for all'),
    end: z.string().nullable().describe('Last exit day used, or null for all'),
    as_of: z
      .string()
      .nullable()
      .describe('ISO time of the latest fill considered; null without fills'),
    fills: z.number().int().describe('Fills read (up to end)'),
    imported_trades: z.number().int().describe('Imported trades read (up to end)'),
    trades: z.number().int().describe('Closed trades in the window, over all groups'),
    win_rate: z
      .number()
      .nullable()
      .describe('Wins / trades over all groups, as a fraction; null without trades'),
    pnl: z.number().describe('P&L of all closed trades in the window, USD'),
    groups: z
      .array(
        z.object({
          key: z.string().describe('The symbol, strategy, weekday or month'),
          trades: z.number().int().describe('Closed trades'),
          wins: z.number().int().describe('Trades with P&L > 0'),
          losses: z.number().int().describe('Trades with P&L < 0'),
          win_rate: z.number().describe('wins / trades, as a fraction (0.6 = 60 %)'),
          pnl: z.number().describe('Total P&L in USD, after commissions'),
          average_pnl: z.number().describe('P&L per trade in USD'),
          best_pnl: z.number().describe('Best trade in USD'),
          worst_pnl: z.number().describe('Worst trade in USD'),
          average_holding_days: z
            .number()
            .describe('Average time from entry to exit in days (quantity-weighted per trade)'),
          imported: z
            .number()
            .int()
            .optional()
            .describe('Of trades, those with an imported entry or exit (when any were read)'),
        }),
      )
      .describe('One row per group, by key'),
    open_positions: z
      .array(
        z.object({
          symbol: z.string().describe('Ticker'),
          quantity: z.number().describe('Shares still open from these fills (negative: short)'),
        }),
      )
      .describe('What the fills leave open at end (not in the statistics)'),
  }),
  writes: false,
  annotations: READ_ONLY,
  async handler(input, context) {
    await requireReadAccess(context, input.account, 'trade_stats');
    if (input.start && input.end && input.start > input.end)
      throw new ToolError(`start ${input.start} is after end ${input.end}; give start ≤ end`);
    const end = input.end?.slice(0, 10) ?? null;
    const { rows } = await context.pool.query<{
      symbol: string;
      side: 'buy' | 'sell';
      quantity: number;
      price: number;
      commission: number;
      filled_at: Date;
      strategy: string | null;
    }>(
      `SELECT f.symbol, f.side, f.quantity::float8 AS quantity, f.price::float8 AS price,
              f.commission::float8 AS commission, f.filled_at, p.strategy
         FROM fills f
         JOIN orders o ON o.id = f.order_id
         LEFT JOIN proposals p ON p.id = o.proposal_id
        WHERE f.account_id = $1
          AND ($2::date IS NULL OR f.filled_at < ($2::date + 1)::timestamp AT TIME ZONE 'UTC')
        ORDER BY f.filled_at, f.id`,
      [input.account, end],
    );
    const { rows: importedRows } = await context.pool.query<{
      symbol: string;
      side: 'buy' | 'sell';
      quantity: number;
      price: number;
      fees: number;
      trade_date: string;
      strategy: string | null;
    }>(
      `SELECT symbol, side, quantity::float8 AS quantity, price::float8 AS price,
                  fees::float8 AS fees, trade_date::text AS trade_date, strategy
             FROM imported_trades
            WHERE account_id = $1 AND ($2::date IS NULL OR trade_date <= $2::date)
            ORDER BY trade_date, imported_at, source_sha256, line`,
      [input.account, end],
    );
    // Each imported trade gets its own Date: a trip's exitAt is its closing fill's, so the
    // identity tells an imported exit from a fill made here at the same instant.
    const importedExits = new Set<Date>();
    const imported: TradeFill[] = importedRows.map((row) => {
      const at = new Date(`${row.trade_date}T00:00:00Z`);
      importedExits.add(at);
      return {
        symbol: row.symbol,
        side: row.side,
        quantity: row.quantity,
        price: row.price,
        commission: row.fees,
        at,
        strategy: `${IMPORTED}${row.strategy ?? ''}`,
      };
    });
    const fills: TradeFill[] = rows.map((row) => ({
      symbol: row.symbol,
      side: row.side,
      quantity: row.quantity,
      price: row.price,
      commission: row.commission,
      at: row.filled_at,
      strategy: row.strategy,
    }));
    // roundTrips sorts by time and keeps the given order on ties: imported trades first on their day.
    const matched = roundTrips(imported.length > 0 ? [...imported, ...fills] : fills);
    const { open } = matched;
    const importedTrips = new Set<RoundTrip>();
    const trips = matched.trips.map((trip) => {
      const importedEntry = trip.strategy?.startsWith(IMPORTED) === true;
      if (!importedEntry && !importedExits.has(trip.exitAt)) return trip;
      const plain: RoundTrip = importedEntry
        ? { ...trip, strategy: (trip.strategy as string).slice(IMPORTED.length) || null }
        : trip;
      importedTrips.add(plain);
      return plain;
    });
    const from = input.start ? new Date(`${input.start.slice(0, 10)}T00:00:00Z`) : undefined;
    const inWindow = from ? trips.filter((trip) => trip.exitAt >= from) : trips;
    const groups = tripStats(inWindow, input.group_by).map((group) => ({
      key: group.key,
      trades: group.trades,
      wins: group.wins,
      losses: group.losses,
      win_rate: group.winRate,
      pnl: cents(group.pnl),
      average_pnl: cents(group.averagePnl),
      best_pnl: cents(group.bestPnl),
      worst_pnl: cents(group.worstPnl),
      average_holding_days: Math.round(group.averageHoldingDays * 100) / 100,
      ...(imported.length > 0
        ? {
            imported: inWindow.filter(
              (trip) => importedTrips.has(trip) && tripKey(trip, input.group_by) === group.key,
            ).length,
          }
        : {}),
    }));
    const wins = groups.reduce((sum, group) => sum + group.wins, 0);
    return {
      account: input.account,
      currency: 'USD',
      group_by: input.group_by,
      start: input.start ?? null,
      end: input.end ?? null,
      as_of: latest(rows[rows.length - 1]?.filled_at, imported[imported.length - 1]?.at),
      fills: rows.length,
      imported_trades: imported.length,
      trades: inWindow.length,
      win_rate: inWindow.length > 0 ? wins / inWindow.length : null,
      pnl: cents(inWindow.reduce((sum, trip) => sum + trip.pnl, 0)),
      groups,
      open_positions: open,
    };
  },
});
