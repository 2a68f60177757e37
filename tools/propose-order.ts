/**
 * propose_order: drafts one order as a PENDING proposal. It never places anything: the order
 * reaches the broker only after a human approves exactly this proposal (CLI, REST, the MCP
 * client's approval form when the person types its code, later the bots and the web console).
 */
import { z } from 'zod';
import { askToApprove } from './approval-form.js';
import { proposalSource } from './context.js';
import { originFields, proposalOrigin } from './proposal-origin.js';
import {
  proposalOutput,
  requireProposeScope,
  strategyField,
  toToolError,
} from './proposal-output.js';
import { defineTool, PROPOSES } from './tool.js';

export const proposeOrder = defineTool({
  name: 'propose_order',
  title: 'Propose an order',
  description:
    'Drafts ONE order (buy or sell a number of shares of one symbol) as a pending proposal for a human to approve. It does NOT place the order: nothing reaches the broker until a human approves this exact proposal (CLI `countersign approve <id>`, REST, later Slack/Telegram/web). Use it when the user asks to buy or sell; use propose_rebalance for several orders at once and cancel_order to cancel a working order. Do not call it repeatedly to "retry": each call makes a new proposal. Prices in USD. Returns the proposal id, status pending, its risk check results and where to approve it. Needs the propose scope.',
  input: z.object({
    account: z.string().min(1).max(40).default('paper').describe("Account id; default 'paper'"),
    symbol: z.string().min(1).max(20).describe('Ticker, e.g. AAPL (must have imported prices)'),
    side: z.enum(['buy', 'sell']).describe('buy or sell'),
    quantity: z
      .number()
      .positive()
      .describe('Number of shares, > 0 (whole shares unless the account allows fractions)'),
    type: z
      .enum(['market', 'limit', 'stop'])
      .default('market')
      .describe("Order type; default 'market'. limit needs limit_price, stop needs stop_price"),
    limit_price: z
      .number()
      .positive()
      .optional()
      .describe('Limit price in USD; only and always for type limit'),
    stop_price: z
      .number()
      .positive()
      .optional()
      .describe('Stop price in USD; only and always for type stop'),
    time_in_force: z
      .enum(['day', 'gtc', 'ioc', 'fok', 'opg', 'cls'])
      .default('day')
      .describe("How long the order works once approved; default 'day'"),
    rationale: z
      .string()
      .min(1)
      .max(2000)
      .describe('Why this order, in a sentence or two; shown to the human who approves it'),
    strategy: strategyField,
    ...originFields,
  }),
  output: proposalOutput,
  writes: true,
  annotations: PROPOSES,
  async handler(input, context) {
    requireProposeScope(context, 'propose_order');
    const origin = proposalOrigin(input);
    try {
      const proposal = await context.orders.propose({
        accountId: input.account,
        legs: [
          {
            symbol: input.symbol,
            side: input.side,
            quantity: input.quantity,
            type: input.type,
            limitPrice: input.limit_price,
            stopPrice: input.stop_price,
            timeInForce: input.time_in_force,
          },
        ],
        ...proposalSource(context),
        rationale: input.rationale,
        strategy: input.strategy,
        ...(origin ? { origin } : {}),
      });
      return await askToApprove(proposal, context);
    } catch (error) {
      throw toToolError(error);
    }
  },
});
