/**
 * plan_rebalance: the orders that would move an account — or a what-if book given as `holdings` —
 * to target weights (planning only).
 */
import { z } from 'zod';
import { isValidSymbol } from '../core/daily-bar.js';
import { planRebalance } from '../core/rebalance/plan-rebalance.js';
import {
  REBALANCE_DEFAULTS,
  RebalanceInputError,
  type RebalancePlan,
} from '../core/rebalance/types.js';
import type { Pool } from '../store/db/pool.js';
import { loadSeries, MissingDataError } from '../store/market-data/load-series.js';
import { accountCash, accountPositions } from '../store/repos/accounts-repo.js';
import { requireReadAccess } from './account-access.js';
import { seriesSourceOf } from './series-source.js';
import { defineTool, isoDate, READ_ONLY, type ToolContext, ToolError } from './tool.js';

const symbol = () => z.string().min(1).max(20);
const cost = (text: string) => z.number().min(0).optional().describe(text);

const input = z.object({
  account: z.string().min(1).max(40).default('paper').describe('Account id. Default "paper".'),
  holdings: z
    .object({
      cash: z.number(),
      positions: z
        .array(z.object({ symbol: symbol(), quantity: z.number() }))
        .max(500)
        .default([]),
    })
    .optional()
    .describe(
      'What-if book (cash USD, quantity shares) instead of the account, which is then not read.',
    ),
  targets: z
    .array(
      z.object({
        symbol: symbol().describe('Ticker (case does not matter).'),
        weight: z.number().min(0).max(1).describe('Fraction of equity (0.25 = 25 %).'),
      }),
    )
    .max(500)
    .describe(
      'Summing to at most 1 (the rest stays cash). A held symbol not listed is sold; [] sells everything.',
    ),
  as_of: isoDate().optional().describe('Price at closes on or before it. Default: latest.'),
  drift_threshold: z
    .number()
    .min(0)
    .default(REBALANCE_DEFAULTS.driftThreshold)
    .describe(
      `Trade a name only when |current − target| / target exceeds this. Default ${REBALANCE_DEFAULTS.driftThreshold}; 0 trades every deviation.`,
    ),
  min_notional: z
    .number()
    .min(0)
    .default(REBALANCE_DEFAULTS.minNotional)
    .describe(`Skip orders smaller than this, in USD. Default ${REBALANCE_DEFAULTS.minNotional}.`),
  cash_buffer: z
    .number()
    .min(0)
    .lt(1)
    .default(REBALANCE_DEFAULTS.cashBuffer)
    .describe('Fraction of equity to keep in cash, 0 to <1. Default 0.'),
  max_position: z
    .number()
    .gt(0)
    .max(1)
    .optional()
    .describe('Cap on each target weight. Default 1.'),
  fractional: z
    .boolean()
    .optional()
    .describe("Fractional shares. Default: the account's; holdings: false."),
  commission_bps: cost('Commission, bp of notional.'),
  commission_per_share: cost('Commission per share, USD.'),
  commission_min: cost('Least commission per order, USD.'),
  slippage_bps: cost('Slippage, bp of notional.'),
  detail: z
    .enum(['summary', 'full'])
    .default('summary')
    .describe('full: also positions after, totals, price dates.'),
});

const order = z.object({
  symbol: z.string().describe('Ticker.'),
  side: z.enum(['buy', 'sell']).describe('buy or sell.'),
  quantity: z.number().describe('Shares, > 0.'),
  wanted_quantity: z
    .number()
    .optional()
    .describe('detail full: shares wanted before buys were scaled to the cash.'),
  price: z.number().describe('Last close the order was planned at, USD.'),
  notional: z.number().describe('quantity × price, USD.'),
  estimated_commission: z.number().describe('Estimated commission, USD (0: no cost model given).'),
  estimated_slippage: z
    .number()
    .optional()
    .describe('Estimated slippage, USD; given with slippage_bps or detail full.'),
  from_weight: z.number().describe('Weight before, fraction of equity.'),
  to_weight: z.number().describe('Weight after, fraction of equity.'),
  target_weight: z.number().describe('Effective target weight (after the cash buffer).'),
  reason: z.string().describe('drift, not_targeted or target_zero.'),
  detail: z.string().describe('The reason in words, with the figures.'),
});

const skipped = z.object({
  symbol: z.string().describe('Ticker.'),
  reason: z
    .string()
    .describe(
      'within_drift_band, nothing_to_trade, rounds_to_zero, under_min_notional, costs_exceed_proceeds or insufficient_cash.',
    ),
  detail: z.string().describe('The reason in words, with the figures.'),
  from_weight: z.number().describe('Weight now, fraction of equity.'),
  target_weight: z.number().describe('Effective target weight.'),
});

const output = z.object({
  account: z.string().optional().describe('Account planned for; absent for a what-if.'),
  what_if: z
    .literal(true)
    .optional()
    .describe('Present: planned from the given holdings, not from an account.'),
  currency: z.string().describe('Currency of every amount (USD).'),
  prices_as_of: z.string().describe('ISO date of the oldest last close used as a price.'),
  cash_before: z
    .number()
    .describe("Cash now: the sum of the account's cash ledger (or holdings.cash), USD."),
  equity_before: z.number().describe('Cash plus positions at the last closes, USD.'),
  orders: z.array(order).describe('Planned orders: sells first, then buys.'),
  skipped: z.array(skipped).describe('Names not traded, and why.'),
  turnover: z.number().describe('Σ |order notional| / equity_before (both sides counted).'),
  cash_after: z.number().describe('Cash after the planned orders, USD.'),
  equity_after: z.number().describe('Equity after the planned orders, USD.'),
  positions: z
    .array(
      z.object({
        symbol: z.string().describe('Ticker.'),
        quantity: z.number().describe('Shares after the orders.'),
        market_value: z.number().describe('quantity × price, USD.'),
        weight: z.number().describe('Fraction of equity after.'),
      }),
    )
    .optional()
    .describe('detail full: every symbol held or targeted, after the orders.'),
  cash_weight: z.number().optional().describe('detail full: cash_after / equity_after.'),
  totals: z
    .object({
      sell_notional: z.number().describe('Σ sell notional, USD.'),
      buy_notional: z.number().describe('Σ buy notional, USD.'),
      commission: z.number().describe('Σ estimated commission, USD.'),
      slippage: z.number().describe('Σ estimated slippage, USD.'),
      costs: z.number().describe('commission + slippage, USD.'),
      order_count: z.number().describe('Orders planned.'),
    })
    .optional()
    .describe('detail full: sums over the orders.'),
  price_dates: z
    .record(z.string(), z.string())
    .optional()
    .describe('detail full: ISO date of the close used, by symbol.'),
  elapsed_ms: z.number().optional().describe('detail full: time the planning itself took, ms.'),
  proposed: z
    .boolean()
    .describe('Always false: this tool only plans; nothing was proposed or placed.'),
});

type Request = z.infer<typeof input>;

/** The book to plan from: the what-if holdings, or the account's (after the caller's role is checked). */
async function bookOf(
  request: Request,
  context: ToolContext,
): Promise<{ positions: Record<string, number>; cash: number; allowFractional: boolean }> {
  const positions: Record<string, number> = {};
  if (request.holdings) {
    // A what-if reads no account at all: no role is needed, and nothing about one is revealed.
    for (const held of request.holdings.positions) {
      const name = held.symbol.trim().toUpperCase();
      if (Object.hasOwn(positions, name)) {
        throw new ToolError(`symbol ${name} is listed twice in holdings.positions`, 'bad_input');
      }
      positions[name] = held.quantity;
    }
    return { positions, cash: request.holdings.cash, allowFractional: false };
  }
  const { pool } = context;
  const account = request.account;
  await requireReadAccess(context, account, 'plan_rebalance');
  const { rows: accounts } = await pool.query<{ allow_fractional: boolean }>(
    'SELECT allow_fractional FROM accounts WHERE id = $1',
    [account],
  );
  const info = accounts[0];
  if (!info) throw new ToolError(`no account "${account}"; the default is "paper"`, 'not_found');
  const [held, cashText] = await Promise.all([
    accountPositions(pool, account),
    accountCash(pool, account),
  ]);
  for (const row of held) positions[row.symbol] = Number(row.quantity);
  return { positions, cash: Number(cashText), allowFractional: info.allow_fractional };
}

/** The last raw close on or before `asOf` (or the latest) of each symbol that has one, and its date. */
async function lastCloses(
  context: ToolContext,
  symbols: string[],
  asOf: string | undefined,
): Promise<{ prices: Record<string, number>; dates: Record<string, string> }> {
  const prices: Record<string, number> = {};
  const dates: Record<string, string> = {};
  const source = seriesSourceOf(context);
  if (source.kind === 'files') {
    // The CLI's --data: a symbol without a file, or without bars by asOf, is an error naming it;
    // a name that is no ticker never becomes a file name.
    const bad = symbols.find((name) => !isValidSymbol(name));
    if (bad !== undefined) {
      throw new ToolError(
        `${JSON.stringify(bad)} is not a ticker (1-20 of A-Z, 0-9, "." and "-", e.g. BRK.B)`,
        'bad_input',
      );
    }
    for (const one of await loadSeries(source, { symbols, to: asOf })) {
      const last = one.dates.length - 1;
      prices[one.symbol] = one.close[last] as number;
      dates[one.symbol] = one.dates[last] as string;
    }
    return { prices, dates };
  }
  for (const row of await databaseCloses(source.pool, symbols, asOf)) {
    prices[row.symbol] = Number(row.close);
    dates[row.symbol] = row.date;
  }
  return { prices, dates };
}

/** One row per symbol with bars: its last close (on or before asOf when given). */
async function databaseCloses(pool: Pool, symbols: string[], asOf: string | undefined) {
  const { rows } =
    asOf === undefined
      ? await pool.query<{ symbol: string; close: string; date: string }>(
          `SELECT DISTINCT ON (symbol) symbol, close, date FROM daily_bars
            WHERE symbol = ANY($1) ORDER BY symbol, date DESC`,
          [symbols],
        )
      : await pool.query<{ symbol: string; close: string; date: string }>(
          `SELECT DISTINCT ON (symbol) symbol, close, date FROM daily_bars
            WHERE symbol = ANY($1) AND date <= $2 ORDER BY symbol, date DESC`,
          [symbols, asOf],
        );
  return rows;
}

/** The plan as the tool answers it; detail full adds what `countersign rebalance-plan --json` prints. */
function planOutput(
  plan: RebalancePlan,
  request: Request,
  dates: Record<string, string>,
  elapsedMs: number,
) {
  const full = request.detail === 'full';
  const slippage = full || (request.slippage_bps ?? 0) > 0;
  let oldest = '';
  for (const date of Object.values(dates)) if (oldest === '' || date < oldest) oldest = date;
  return {
    ...(request.holdings ? { what_if: true as const } : { account: request.account }),
    currency: 'USD',
    prices_as_of: oldest,
    cash_before: plan.cashBefore,
    equity_before: plan.equityBefore,
    orders: plan.orders.map((one) => ({
      symbol: one.symbol,
      side: one.side,
      quantity: one.quantity,
      ...(full ? { wanted_quantity: one.wantedQuantity } : {}),
      price: one.price,
      notional: one.notional,
      estimated_commission: one.estimatedCommission,
      ...(slippage ? { estimated_slippage: one.estimatedSlippage } : {}),
      from_weight: one.fromWeight,
      to_weight: one.toWeight,
      target_weight: one.targetWeight,
      reason: one.reason,
      detail: one.detail,
    })),
    skipped: plan.skipped.map((one) => ({
      symbol: one.symbol,
      reason: one.reason,
      detail: one.detail,
      from_weight: one.fromWeight,
      target_weight: one.targetWeight,
    })),
    turnover: plan.turnover,
    cash_after: plan.cashAfter,
    equity_after: plan.equityAfter,
    ...(full
      ? {
          positions: plan.positions.map((one) => ({
            symbol: one.symbol,
            quantity: one.quantity,
            market_value: one.marketValue,
            weight: one.weight,
          })),
          cash_weight: plan.cashWeight,
          totals: {
            sell_notional: plan.totals.sellNotional,
            buy_notional: plan.totals.buyNotional,
            commission: plan.totals.commission,
            slippage: plan.totals.slippage,
            costs: plan.totals.costs,
            order_count: plan.totals.orderCount,
          },
          price_dates: Object.fromEntries(
            Object.entries(dates).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
          ),
          elapsed_ms: elapsedMs,
        }
      : {}),
    proposed: false,
  };
}

export const planRebalanceTool = defineTool({
  name: 'plan_rebalance',
  title: 'Plan a rebalance',
  description: `Plans the orders that would move an account (default "paper"), or a what-if book given as holdings, to target weights at each symbol's last stored close. It only plans: nothing is proposed or placed; use propose_rebalance to create a proposal a person must approve. Cash is the account's cash ledger total; whole shares unless the account allows fractional. No costs unless given. Money in USD.`,
  input,
  output,
  writes: false,
  annotations: READ_ONLY,
  async handler(request, context) {
    const book = await bookOf(request, context);
    const targets: Record<string, number> = {};
    for (const target of request.targets) {
      const name = target.symbol.trim().toUpperCase();
      if (Object.hasOwn(targets, name)) {
        throw new ToolError(`symbol ${name} is listed twice in targets`, 'bad_input');
      }
      targets[name] = target.weight;
    }
    const symbols = [...new Set([...Object.keys(book.positions), ...Object.keys(targets)])].sort();
    try {
      const { prices, dates } = await lastCloses(context, symbols, request.as_of);
      const started = performance.now();
      const plan = planRebalance({
        positions: book.positions,
        cash: book.cash,
        prices,
        targets,
        options: {
          allowFractional: request.fractional ?? book.allowFractional,
          driftThreshold: request.drift_threshold,
          minNotional: request.min_notional,
          cashBuffer: request.cash_buffer,
          maxPositionWeight: request.max_position,
          costs: {
            commissionBps: request.commission_bps,
            commissionPerShare: request.commission_per_share,
            commissionMinimum: request.commission_min,
            slippageBps: request.slippage_bps,
          },
        },
      });
      return planOutput(plan, request, dates, performance.now() - started);
    } catch (error) {
      if (error instanceof RebalanceInputError || error instanceof MissingDataError) {
        throw new ToolError(error.message, 'bad_input');
      }
      throw error;
    }
  },
});
