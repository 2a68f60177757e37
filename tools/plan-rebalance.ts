/** plan_rebalance: the orders that would move an account to target weights (planning only). */
import { z } from 'zod';
import { planRebalance } from '../core/rebalance/plan-rebalance.js';
import { REBALANCE_DEFAULTS, RebalanceInputError } from '../core/rebalance/types.js';
import { accountCash, accountPositions } from '../store/repos/accounts-repo.js';
import { requireReadAccess } from './account-access.js';
import { defineTool, READ_ONLY, ToolError } from './tool.js';

const input = z.object({
  account: z.string().min(1).max(40).default('paper').describe('Account id. Default "paper".'),
  targets: z
    .array(
      z.object({
        symbol: z.string().min(1).max(20).describe('Ticker (case does not matter).'),
        weight: z
          .number()
          .min(0)
          .max(1)
          .describe('Target weight as a fraction of equity (0.25 = 25 %).'),
      }),
    )
    .max(500)
    .describe(
      'Target weights, each 0 to 1, summing to at most 1 (the rest stays cash). A held symbol not listed is sold. [] sells everything.',
    ),
  drift_threshold: z
    .number()
    .min(0)
    .default(REBALANCE_DEFAULTS.driftThreshold)
    .describe(
      `Relative drift band: a name is traded only when |current − target| / target exceeds it. Default ${REBALANCE_DEFAULTS.driftThreshold} (5 %); 0 trades every deviation.`,
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
});

const order = z.object({
  symbol: z.string().describe('Ticker.'),
  side: z.enum(['buy', 'sell']).describe('buy or sell.'),
  quantity: z.number().describe('Shares, > 0.'),
  price: z.number().describe('Last close the order was planned at, USD.'),
  notional: z.number().describe('quantity × price, USD.'),
  estimated_commission: z.number().describe('Estimated commission, USD (0: no cost model given).'),
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
  account: z.string().describe('Account planned for.'),
  currency: z.string().describe('Currency of every amount (USD).'),
  prices_as_of: z.string().describe('ISO date of the oldest last close used as a price.'),
  cash_before: z.number().describe('Cash now: the sum of the cash ledger, USD.'),
  equity_before: z.number().describe('Cash plus positions at the last closes, USD.'),
  orders: z.array(order).describe('Planned orders: sells first, then buys.'),
  skipped: z.array(skipped).describe('Names not traded, and why.'),
  turnover: z.number().describe('Σ |order notional| / equity_before (both sides counted).'),
  cash_after: z.number().describe('Cash after the planned orders, USD.'),
  equity_after: z.number().describe('Equity after the planned orders, USD.'),
  proposed: z
    .boolean()
    .describe('Always false: this tool only plans; nothing was proposed or placed.'),
});

export const planRebalanceTool = defineTool({
  name: 'plan_rebalance',
  title: 'Plan a rebalance',
  description: `Plans the orders that would move an account (default "paper") from its current positions to target weights, at each symbol's last stored close. It only plans: nothing is proposed or placed; use propose_rebalance to create a proposal a person must approve. Cash is the account's cash ledger total; whole shares unless the account allows fractional. Defaults: drift_threshold ${REBALANCE_DEFAULTS.driftThreshold} (relative band, trades a name only when |current − target| / target > it), min_notional ${REBALANCE_DEFAULTS.minNotional} USD, cash_buffer 0. Weights are fractions of equity summing to at most 1; a held symbol missing from targets is sold. Money in USD.`,
  input,
  output,
  writes: false,
  annotations: READ_ONLY,
  async handler(request, context) {
    const { pool } = context;
    const account = request.account;
    await requireReadAccess(context, account, 'plan_rebalance');
    const { rows: accounts } = await pool.query<{ allow_fractional: boolean }>(
      'SELECT allow_fractional FROM accounts WHERE id = $1',
      [account],
    );
    const info = accounts[0];
    if (!info) throw new ToolError(`no account "${account}"; the default is "paper"`, 'not_found');
    const targets: Record<string, number> = {};
    for (const target of request.targets) {
      const symbol = target.symbol.trim().toUpperCase();
      if (Object.hasOwn(targets, symbol)) {
        throw new ToolError(`symbol ${symbol} is listed twice in targets`, 'bad_input');
      }
      targets[symbol] = target.weight;
    }
    const [held, cashText] = await Promise.all([
      accountPositions(pool, account),
      accountCash(pool, account),
    ]);
    const positions: Record<string, number> = {};
    for (const row of held) positions[row.symbol] = Number(row.quantity);
    const symbols = [...new Set([...Object.keys(positions), ...Object.keys(targets)])];
    const { rows: priceRows } = await pool.query<{ symbol: string; close: string; date: string }>(
      `SELECT DISTINCT ON (symbol) symbol, close, date FROM daily_bars
        WHERE symbol = ANY($1) ORDER BY symbol, date DESC`,
      [symbols],
    );
    const prices: Record<string, number> = {};
    let oldest = '';
    for (const row of priceRows) {
      prices[row.symbol] = Number(row.close);
      if (oldest === '' || row.date < oldest) oldest = row.date;
    }
    const cash = Number(cashText);
    try {
      const plan = planRebalance({
        positions,
        cash,
        prices,
        targets,
        options: {
          allowFractional: info.allow_fractional,
          driftThreshold: request.drift_threshold,
          minNotional: request.min_notional,
          cashBuffer: request.cash_buffer,
        },
      });
      return {
        account,
        currency: 'USD',
        prices_as_of: oldest,
        cash_before: plan.cashBefore,
        equity_before: plan.equityBefore,
        orders: plan.orders.map((one) => ({
          symbol: one.symbol,
          side: one.side,
          quantity: one.quantity,
          price: one.price,
          notional: one.notional,
          estimated_commission: one.estimatedCommission,
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
        proposed: false,
      };
    } catch (error) {
      if (error instanceof RebalanceInputError) throw new ToolError(error.message, 'bad_input');
      throw error;
    }
  },
});
