/** get_portfolio: cash, positions valued at the last stored close, equity. */
import { z } from 'zod';
import { accountCash, accountPositionsWithLastClose } from '../store/repos/accounts-repo.js';
import { requireReadAccess } from './account-access.js';
import { latestMarketRegime, regimeSchema } from './market-regime.js';
import { defineTool, READ_ONLY, ToolError } from './tool.js';

const position = z.object({
  symbol: z.string().describe('Ticker'),
  quantity: z.number().describe('Shares held (negative when short)'),
  avg_cost: z.number().describe('Average cost per share in USD'),
  last_price: z.number().nullable().describe('Last stored daily close in USD (null when none)'),
  price_date: z.string().nullable().describe('ISO date of that close'),
  market_value: z.number().describe('quantity × last_price in USD (cost when no price)'),
  weight: z.number().describe('market_value / equity, 0 to 1'),
  unrealized_pnl: z.number().describe('(last_price − avg_cost) × quantity in USD'),
  realized_pnl: z.number().describe('Realized P&L of this symbol so far in USD'),
});

const round = (value: number, places = 2) => Math.round(value * 10 ** places) / 10 ** places;

export const getPortfolio = defineTool({
  name: 'get_portfolio',
  title: 'Portfolio: cash, positions, equity',
  description:
    'The account as stored: cash (sum of the cash ledger), each open position valued at its last stored daily close (market value, weight of equity, unrealized and realized P&L), and equity = cash + positions. Amounts in USD; as_of is the newest close used. Use it before proposing orders or a rebalance; it does not fetch live quotes (use get_quote) nor list orders (use list_orders). Read-only.',
  input: z.object({
    account: z.string().min(1).max(40).default('paper').describe("Account id; default 'paper'"),
  }),
  output: z.object({
    account: z.string().describe('Account id'),
    currency: z.string().describe('Currency of every amount (USD)'),
    as_of: z
      .string()
      .describe('ISO date of the newest price used (today when there are no positions)'),
    cash: z.number().describe('Cash in USD'),
    positions_value: z.number().describe('Sum of market values in USD'),
    equity: z.number().describe('cash + positions_value in USD'),
    unrealized_pnl: z.number().describe('Sum of unrealized P&L in USD'),
    positions: z.array(position).describe('Open positions, largest market value first'),
    market_regime: regimeSchema
      .nullable()
      .describe('The market regime on the newest stored day; null: too few prices'),
  }),
  writes: false,
  annotations: READ_ONLY,
  async handler(input, context) {
    await requireReadAccess(context, input.account, 'get_portfolio');
    const { rows: accounts } = await context.pool.query<{ base_currency: string }>(
      'SELECT base_currency FROM accounts WHERE id = $1',
      [input.account],
    );
    const account = accounts[0];
    if (!account) throw new ToolError(`unknown account "${input.account}"`, 'not_found');
    const cashText = await accountCash(context.pool, input.account);
    const rows = await accountPositionsWithLastClose(context.pool, input.account);
    const cash = Number(cashText);
    const held = rows.map((r) => {
      const quantity = Number(r.quantity);
      const avgCost = Number(r.avgCost);
      const last = r.close === null ? null : Number(r.close);
      const value = quantity * (last ?? avgCost);
      return {
        symbol: r.symbol,
        quantity,
        avg_cost: avgCost,
        last_price: last,
        price_date: r.date,
        market_value: round(value),
        weight: 0,
        unrealized_pnl: last === null ? 0 : round((last - avgCost) * quantity),
        realized_pnl: round(Number(r.realizedPnl)),
      };
    });
    const positionsValue = held.reduce((sum, p) => sum + p.market_value, 0);
    const equity = cash + positionsValue;
    for (const p of held) p.weight = equity === 0 ? 0 : round(p.market_value / equity, 6);
    held.sort((a, b) => b.market_value - a.market_value);
    const dates = held.map((p) => p.price_date).filter((d): d is string => d !== null);
    return {
      account: input.account,
      currency: account.base_currency,
      as_of: dates.sort().at(-1) ?? context.now().toISOString().slice(0, 10),
      cash: round(cash),
      positions_value: round(positionsValue),
      equity: round(equity),
      unrealized_pnl: round(held.reduce((sum, p) => sum + p.unrealized_pnl, 0)),
      positions: held,
      market_regime: (await latestMarketRegime(context)) ?? null,
    };
  },
});
