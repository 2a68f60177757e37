/** propose_rebalance: several orders as ONE pending basket proposal; nothing is placed until a human approves. */
import { z } from 'zod';
import { askToApprove } from './approval-form.js';
import { proposalSource } from './context.js';
import {
  proposalOutput,
  requireProposeScope,
  strategyField,
  toToolError,
} from './proposal-output.js';
import { defineTool, PROPOSES } from './tool.js';

export const proposeRebalance = defineTool({
  name: 'propose_rebalance',
  title: 'Propose a rebalance (basket of orders)',
  description:
    'Drafts several market orders (1 to 500, e.g. from plan_rebalance) as ONE pending basket proposal that a human approves or rejects as a whole. It does NOT place anything: no order reaches the broker until a human approves this exact proposal (CLI `countersign approve <id>`, REST, later Slack/Telegram/web). Use propose_order for a single order or for limit/stop orders. Quantities are shares; prices in USD. Needs the propose scope.',
  input: z.object({
    account: z.string().min(1).max(40).default('paper').describe("Account id; default 'paper'"),
    orders: z
      .array(
        z.object({
          symbol: z.string().min(1).max(20).describe('Ticker, e.g. KO'),
          side: z.enum(['buy', 'sell']).describe('buy or sell'),
          quantity: z.number().positive().describe('Number of shares, > 0'),
        }),
      )
      .min(1)
      .max(500)
      .describe('The market orders of the basket, 1 to 500'),
    rationale: z
      .string()
      .min(1)
      .max(2000)
      .describe('Why this rebalance; shown to the human who approves it'),
    strategy: strategyField,
  }),
  output: proposalOutput,
  writes: true,
  annotations: PROPOSES,
  async handler(input, context) {
    requireProposeScope(context, 'propose_rebalance');
    try {
      const proposal = await context.orders.propose({
        accountId: input.account,
        legs: input.orders.map((order) => ({
          symbol: order.symbol,
          side: order.side,
          quantity: order.quantity,
          type: 'market' as const,
        })),
        ...proposalSource(context),
        rationale: input.rationale,
        strategy: input.strategy,
      });
      return await askToApprove(proposal, context);
    } catch (error) {
      throw toToolError(error);
    }
  },
});
