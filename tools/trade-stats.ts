/** trade_stats: fills grouped by symbol, weekday or month: count, notional, commission, realized P&L. */
import { z } from 'zod';
import { defineTool, READ_ONLY, ToolError } from './tool.js';

const KEYS = {
  symbol: 'symbol',
  weekday: `to_char(filled_at AT TIME ZONE 'UTC', 'ID FMDay')`,
  month: `to_char(filled_at AT TIME ZONE 'UTC', 'YYYY-MM')`,
} as const;

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}/, 'an ISO date such as 2024-01-31');

export const tradeStats = defineTool({
  name: 'trade_stats',
  title: 'Trade statistics',
  description:
    "Statistics of the account's executed trades (fills), grouped by symbol, weekday (UTC, '1 Monday'…'7 Sunday') or month ('YYYY-MM'): number of fills, shares and USD notional bought and sold, commissions, and realized P&L in USD. Realized P&L is only known per symbol (from positions, over all time, not limited to start/end), so it is null for weekday and month. Win rate and average holding time are not computed yet. Use it for \"how have my trades done\"; for one trade use explain_trade. Read-only.",
  input: z.object({
    account: z.string().min(1).max(40).default('paper').describe("Account id; default 'paper'"),
    group_by: z
      .enum(['symbol', 'weekday', 'month'])
      .default('symbol')
      .describe("Grouping: symbol, weekday or month; default 'symbol'"),
    start: isoDate
      .optional()
      .describe('First day (ISO date, inclusive, UTC); default: the first fill'),
    end: isoDate.optional().describe('Last day (ISO date, inclusive, UTC); default: today'),
  }),
  output: z.object({
    account: z.string().describe('Account id'),
    currency: z.string().describe('Currency of every amount (USD)'),
    group_by: z.string().describe('The grouping used'),
    start: z.string().nullable().describe('First day used, or null for all'),
    end: z.string().nullable().describe('Last day used, or null for all'),
    total_fills: z.number().int().describe('Fills counted over all groups'),
    groups: z
      .array(
        z.object({
          key: z.string().describe('The symbol, weekday or month'),
          fills: z.number().int().describe('Number of fills'),
          buy_quantity: z.number().describe('Shares bought'),
          sell_quantity: z.number().describe('Shares sold'),
          buy_notional: z.number().describe('USD spent on buys'),
          sell_notional: z.number().describe('USD received from sells'),
          commission: z.number().describe('Commissions in USD'),
          realized_pnl: z
            .number()
            .nullable()
            .describe('Realized P&L in USD (group_by symbol only, all time)'),
        }),
      )
      .describe('One row per group, by key'),
  }),
  writes: false,
  annotations: READ_ONLY,
  async handler(input, context) {
    if (input.start && input.end && input.start > input.end)
      throw new ToolError(`start ${input.start} is after end ${input.end}`);
    const key = KEYS[input.group_by];
    const { rows } = await context.pool.query<{
      key: string;
      fills: number;
      buy_quantity: string;
      sell_quantity: string;
      buy_notional: string;
      sell_notional: string;
      commission: string;
      realized_pnl: string | null;
    }>(
      `SELECT g.*, ${input.group_by === 'symbol' ? 'p.realized_pnl::text' : 'NULL::text'} AS realized_pnl
         FROM (SELECT ${key} AS key, count(*)::int AS fills,
                      COALESCE(sum(quantity) FILTER (WHERE side = 'buy'), 0)::text AS buy_quantity,
                      COALESCE(sum(quantity) FILTER (WHERE side = 'sell'), 0)::text AS sell_quantity,
                      COALESCE(sum(quantity * price) FILTER (WHERE side = 'buy'), 0)::text AS buy_notional,
                      COALESCE(sum(quantity * price) FILTER (WHERE side = 'sell'), 0)::text AS sell_notional,
                      sum(commission)::text AS commission
                 FROM fills
                WHERE account_id = $1
                  AND ($2::date IS NULL OR filled_at >= ($2::date)::timestamp AT TIME ZONE 'UTC')
                  AND ($3::date IS NULL OR filled_at < ($3::date + 1)::timestamp AT TIME ZONE 'UTC')
                GROUP BY 1) g
         LEFT JOIN positions p ON p.account_id = $1 AND p.symbol = g.key
        ORDER BY g.key`,
      [input.account, input.start?.slice(0, 10) ?? null, input.end?.slice(0, 10) ?? null],
    );
    const groups = rows.map((r) => ({
      key: r.key,
      fills: r.fills,
      buy_quantity: Number(r.buy_quantity),
      sell_quantity: Number(r.sell_quantity),
      buy_notional: Number(r.buy_notional),
      sell_notional: Number(r.sell_notional),
      commission: Number(r.commission),
      realized_pnl:
        input.group_by === 'symbol' ? (r.realized_pnl === null ? 0 : Number(r.realized_pnl)) : null,
    }));
    return {
      account: input.account,
      currency: 'USD',
      group_by: input.group_by,
      start: input.start ?? null,
      end: input.end ?? null,
      total_fills: groups.reduce((sum, g) => sum + g.fills, 0),
      groups,
    };
  },
});
