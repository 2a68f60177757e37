/**
 * create_alert: stores an alert rule for the caller. The bots fire it (bots/alerts.ts) to every
 * linked Telegram and Slack chat of the caller: a price crossing a level, portfolio drift beyond
 * a threshold (with a rebalance *proposal* that still needs a human's Approve), fills, rejected
 * and expired proposals, a daily summary. It never trades.
 */
import { z } from 'zod';
import { requireReadAccess } from './account-access.js';
import { requireProposeScope } from './proposal-output.js';
import { defineTool, ToolError } from './tool.js';

export const ALERT_CONDITIONS = [
  'price_above',
  'price_below',
  'drift_above',
  'fill',
  'proposal_rejected',
  'proposal_expired',
  'daily_summary',
  'model_drift',
] as const;
export type AlertCondition = (typeof ALERT_CONDITIONS)[number];

/** The rule as stored in alerts.condition. */
export interface AlertRule {
  kind: AlertCondition;
  value?: string;
  account?: string;
  targets?: { symbol: string; weight: number }[];
}

export const createAlert = defineTool({
  name: 'create_alert',
  title: 'Create an alert',
  description:
    "Stores an alert for the caller, sent to every Telegram and Slack chat they linked: price_above / price_below (symbol, value USD), drift_above (value = largest |weight − target| allowed, e.g. 0.05, with targets; it also proposes the rebalance, which waits for a human's approval), fill, proposal_rejected, proposal_expired (on account), daily_summary (value = hour UTC, 0-23, with the market regime), model_drift (the screening model's features drifted). At most one alert per rule per every_minutes. It never trades. Needs the propose scope.",
  input: z.object({
    condition: z.enum(ALERT_CONDITIONS).describe('What fires it'),
    symbol: z.string().min(1).max(20).optional().describe('Ticker, for price_above / price_below'),
    value: z
      .number()
      .nonnegative()
      .optional()
      .describe('Price USD (price_*), drift fraction (drift_above), hour UTC (daily_summary)'),
    account: z.string().min(1).max(40).default('paper').describe("Account; default 'paper'"),
    targets: z
      .array(z.object({ symbol: z.string().min(1).max(20), weight: z.number().min(0).max(1) }))
      .max(500)
      .optional()
      .describe('Target weights, for drift_above'),
    every_minutes: z
      .number()
      .int()
      .min(1)
      .max(10_080)
      .default(60)
      .describe('At most one alert per this many minutes (1-10080); default 60'),
    channel: z
      .enum(['slack', 'telegram', 'web', 'mcp'])
      .default('telegram')
      .describe('Kept for compatibility: alerts reach every linked chat'),
  }),
  output: z.object({
    id: z.string().describe('Alert id (uuid)'),
    status: z.string().describe('active'),
    condition: z.string().describe('The condition'),
    symbol: z.string().nullable().describe('Ticker, for price alerts'),
    value: z.number().nullable().describe('Threshold, drift or hour'),
    account: z.string().describe('Account'),
    action: z.string().describe('notify, or propose (drift_above)'),
    every_minutes: z.number().describe('Interval'),
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
    const bad = (message: string) => new ToolError(message, 'bad_input');
    const kind = input.condition;
    await requireReadAccess(context, input.account, 'create_alert');
    let symbol: string | null = null;
    const rule: AlertRule = { kind, account: input.account };
    if (kind === 'price_above' || kind === 'price_below') {
      if (!input.symbol) throw bad(`${kind} needs a symbol (e.g. AAPL)`);
      if (input.value === undefined || input.value <= 0)
        throw bad(`${kind} needs value: the price in USD, > 0 (got ${input.value ?? 'none'})`);
      symbol = input.symbol.trim().toUpperCase();
      const { rows } = await context.pool.query('SELECT 1 FROM instruments WHERE symbol = $1', [
        symbol,
      ]);
      if (rows.length === 0)
        throw bad(
          `unknown symbol ${JSON.stringify(input.symbol)}; import its prices first (countersign import)`,
        );
      rule.value = String(input.value);
    } else if (kind === 'drift_above') {
      if (input.value === undefined || input.value <= 0 || input.value >= 1)
        throw bad(
          `drift_above needs value: the largest |weight − target| allowed, between 0 and 1 exclusive (e.g. 0.05); got ${input.value ?? 'none'}`,
        );
      if (!input.targets || input.targets.length === 0)
        throw bad('drift_above needs targets: [{symbol, weight}], weights summing to at most 1');
      const sum = input.targets.reduce((total, target) => total + target.weight, 0);
      if (sum > 1 + 1e-9) throw bad(`targets' weights sum to ${sum.toFixed(4)}; at most 1`);
      rule.value = String(input.value);
      rule.targets = input.targets.map((target) => ({
        symbol: target.symbol.trim().toUpperCase(),
        weight: target.weight,
      }));
    } else if (kind === 'daily_summary') {
      const hour = input.value ?? 21;
      if (!Number.isInteger(hour) || hour > 23)
        throw bad(`daily_summary's value is the hour (UTC) to send it, 0 to 23; got ${hour}`);
      rule.value = String(hour);
    }
    const action = kind === 'drift_above' ? 'propose' : 'notify';
    const { rows } = await context.pool.query<{ id: string; status: string; created_at: Date }>(
      `INSERT INTO alerts (principal_id, account_id, symbol, condition, action, channel, cooldown_s)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, status, created_at`,
      [
        context.principal.id,
        input.account,
        symbol,
        JSON.stringify(rule),
        action,
        input.channel,
        input.every_minutes * 60,
      ],
    );
    const row = rows[0] as { id: string; status: string; created_at: Date };
    return {
      id: row.id,
      status: row.status,
      condition: kind,
      symbol,
      value: rule.value === undefined ? null : Number(rule.value),
      account: input.account,
      action,
      every_minutes: input.every_minutes,
      created_at: row.created_at.toISOString(),
      note:
        action === 'propose'
          ? 'Stored. When the book drifts past the threshold, a rebalance proposal is sent with Approve and Reject buttons; nothing trades until a person approves it.'
          : 'Stored. It is sent to every Telegram and Slack chat you linked (countersign link); it does not trade.',
    };
  },
});
