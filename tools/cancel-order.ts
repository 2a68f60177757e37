/** cancel_order: proposes cancelling a working order; the cancel itself needs a human approval. */
import { z } from 'zod';
import { askToApprove } from './approval-form.js';
import { proposalSource } from './context.js';
import { proposalOutput, requireProposeScope, toToolError } from './proposal-output.js';
import { defineTool, PROPOSES } from './tool.js';

export const cancelOrder = defineTool({
  name: 'cancel_order',
  title: 'Propose cancelling an order',
  description:
    'Proposes cancelling one working order (status submitted or partially_filled; see list_orders for order ids). The cancel is itself a proposal: nothing is sent to the broker until a human approves it (CLI `countersign approve <id>`, REST, later Slack/Telegram/web), and the order keeps working until then. To drop a proposal that was never approved, a human rejects it instead; this tool is for orders already at the broker. Needs the propose scope.',
  input: z.object({
    order_id: z
      .string()
      .min(1)
      .describe('Id (uuid) of the order to cancel, from list_orders or explain_trade'),
    rationale: z
      .string()
      .min(1)
      .max(2000)
      .describe('Why cancel it; shown to the human who approves the cancel'),
  }),
  output: proposalOutput,
  writes: true,
  annotations: PROPOSES,
  async handler(input, context) {
    requireProposeScope(context, 'cancel_order');
    try {
      const proposal = await context.orders.proposeCancel({
        orderId: input.order_id,
        ...proposalSource(context),
        rationale: input.rationale,
      });
      return await askToApprove(proposal, context);
    } catch (error) {
      throw toToolError(error);
    }
  },
});
