/** create_alert: stores a price alert rule for the caller; it does not trade, and nothing fires it yet. */
import { z } from 'zod';
import { requireProposeScope } from './proposal-output.js';
import { defineTool, ToolError } from './tool.js';

export const createAlert = defineTool({
  name: 'create_alert',
  title: 'Create a price alert',
  description:
    "Stores a price alert for the caller: notify through a channel when a symbol's price goes above or below a value (USD). It never trades and never proposes an order (action is 'notify' only for now). Alerts are stored but firing them comes with the bots; until then nothing is sent. Use it when the user asks to be told about a price move; to trade, use propose_order. Each call creates a new alert. Needs the propose scope.",
  input: z.object({
    symbol: z.string().min(1).max(20).describe('Ticker, e.g. AAPL (must have imported prices)'),
    condition: z
      .enum(['price_above', 'price_below'])
      .describe('price_above: price rises above value; price_below: price falls below value'),
    value: z.number().positive().describe('Price threshold in USD, > 0'),
    channel: z.enum(['slack', 'telegram', 'web', 'mcp']).describe('Where the notification goes'),
    action: z
      .enum(['notify'])
      .default('notify')
      .describe("What to do when it fires; only 'notify' for now"),
  }),
  output: z.object({
    id: z.string().describe('Alert id (uuid)'),
    status: z.string().describe('active'),
    symbol: z.string().describe('Ticker'),
    condition: z.string().describe('price_above or price_below'),
    value: z.number().describe('Threshold in USD'),
    channel: z.string().describe('Notification channel'),
    action: z.string().describe('notify'),
    created_at: z.string().describe('ISO timestamp'),
    note: z.string().describe('What happens next'),
  }),
  writes: true,
  annotations: {
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: false,
    openWorldHint: false,
  },
  async handler(input, context) {
    requireProposeScope(context, 'create_alert');
    const symbol = input.symbol.trim().toUpperCase();
    const { rows: known } = await context.pool.query(
      'SELECT 1 FROM instruments WHERE symbol = $1',
      [symbol],
    );
    if (known.length === 0)
      throw new ToolError(
        `unknown symbol ${JSON.stringify(input.symbol)}; import its prices first (countersign import)`,
        'bad_input',
      );
    const { rows } = await context.pool.query<{ id: string; status: string; created_at: Date }>(
      `INSERT INTO alerts (principal_id, symbol, condition, action, channel)
       VALUES ($1, $2, $3, $4, $5) RETURNING id, status, created_at`,
      [
        context.principal.id,
        symbol,
        JSON.stringify({ kind: input.condition, value: String(input.value) }),
        input.action,
        input.channel,
      ],
    );
    const row = rows[0] as { id: string; status: string; created_at: Date };
    return {
      id: row.id,
      status: row.status,
      symbol,
      condition: input.condition,
      value: input.value,
      channel: input.channel,
      action: input.action,
      created_at: row.created_at.toISOString(),
      note: 'The alert is stored. It does not trade. Firing alerts comes with the bots (a later release); until then no notification is sent.',
    };
  },
});
