/**
 * propose_order: drafts one order as a PENDING proposal. It never places anything: the order
 * reaches the broker only after a human approves exactly this proposal (CLI, REST, later the bots
 * and the web console). Also holds the proposal output shared by the other proposing tools.
 */
import { z } from 'zod';
import { ApprovalRefusedError, NotFoundError, OrderInputError } from '../orders/errors.js';
import { legView, type Proposal } from '../orders/types.js';
import { defineTool, PROPOSES, type ToolContext, ToolError } from './tool.js';

/** Maps the orders service's domain errors onto ToolError, keeping the message. */
export function toToolError(error: unknown): unknown {
  if (error instanceof OrderInputError) return new ToolError(error.message, 'bad_input');
  if (error instanceof NotFoundError) return new ToolError(error.message, 'not_found');
  return error;
}

/** Refuses a caller without the 'propose' scope. */
export function requireProposeScope(context: ToolContext, tool: string): void {
  if (!context.principal.scopes.includes('propose'))
    throw new ToolError(
      `${tool} needs the 'propose' scope; this caller has only: ${context.principal.scopes.join(', ') || 'no scopes'}. Use a token with the 'propose' scope.`,
      'forbidden',
    );
}

/** One order of a proposal, flat. Quantities and prices are decimal strings (null when absent). */
export const legOutput = z.object({
  leg: z.number().int().describe('Leg number, from 1'),
  symbol: z.string().describe('Ticker'),
  side: z.enum(['buy', 'sell']).describe('buy or sell'),
  quantity: z.string().nullable().describe('Shares, as a decimal string'),
  notional: z.string().nullable().describe('Amount in USD, when given instead of shares'),
  type: z.enum(['market', 'limit', 'stop']).describe('Order type'),
  limit_price: z.string().nullable().describe('Limit price in USD (limit orders)'),
  stop_price: z.string().nullable().describe('Stop price in USD (stop orders)'),
  time_in_force: z.string().describe('day, gtc, ioc, fok, opg or cls'),
  reference_price: z
    .string()
    .nullable()
    .describe('Latest price in USD when proposed (null when none was known)'),
});

/** The optional strategy label of a proposal, shared by the proposing tools. */
export const strategyField = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,39}$/, 'use 1 to 40 of a-z, 0-9, _ . - (e.g. sma_cross)')
  .optional()
  .describe(
    'Optional strategy label, e.g. "sma_cross", for trade_stats by strategy (a-z 0-9 _ . -)',
  );

export const proposalOutput = z.object({
  id: z.string().describe('Proposal id (uuid); a human approves this id'),
  status: z
    .enum(['pending', 'approved', 'rejected', 'expired', 'submitted', 'needs_attention'])
    .describe('Always pending when just proposed: nothing has been sent to a broker'),
  kind: z.enum(['order', 'basket', 'cancel']).describe('order, basket (several legs) or cancel'),
  account: z.string().describe('Account id'),
  order_hash: z.string().describe('SHA-256 of exactly what the human is asked to approve'),
  created_at: z.string().describe('ISO timestamp of the proposal'),
  expires_at: z.string().describe('ISO timestamp after which it can no longer be approved'),
  required_approvals: z
    .number()
    .int()
    .describe('Human approvals needed (2 above the four-eyes limit)'),
  cancel_order_id: z.string().nullable().describe('For a cancel proposal: the order to cancel'),
  strategy: z.string().nullable().describe('The strategy label given, for trade_stats'),
  legs: z.array(legOutput).describe('The orders proposed (empty for a cancel)'),
  risk_passed: z.boolean().describe('True when every pre-trade risk check passed'),
  failed_checks: z
    .array(z.string())
    .describe('Messages of the failed risk checks; an approval is refused while any fails'),
  approve_at: z.string().describe('Where a human can approve or reject it'),
  note: z.string().describe('What happens next'),
  approval: z
    .enum(['not_asked', 'declined', 'approved', 'refused'])
    .describe(
      'not_asked: the client cannot show an approval form (approve elsewhere); declined: the person declined; approved: the person approved in the client and it was sent; refused: the approval failed a check (see approval_message)',
    ),
  approval_message: z.string().describe('What the approval step did, in words'),
});

/** The output of a proposing tool for `proposal`. */
export function describeProposal(proposal: Proposal): z.infer<typeof proposalOutput> {
  const checks = proposal.riskResults as { leg?: number; passed?: boolean; message?: string }[];
  const failed = checks.filter((check) => check.passed === false);
  const multi = proposal.legs.length > 1;
  return {
    id: proposal.id,
    status: proposal.status,
    kind: proposal.kind,
    account: proposal.accountId,
    order_hash: proposal.orderHash,
    created_at: proposal.createdAt,
    expires_at: proposal.expiresAt,
    required_approvals: proposal.requiredApprovals,
    cancel_order_id: proposal.cancelOrderId,
    strategy: proposal.strategy,
    legs: proposal.legs.map(legView),
    risk_passed: failed.length === 0,
    failed_checks: failed.map((check) =>
      multi && check.leg !== undefined
        ? `leg ${check.leg}: ${check.message ?? 'failed'}`
        : (check.message ?? 'failed'),
    ),
    approve_at: `A human approver can approve or reject it with \`countersign approve ${proposal.id}\` (or \`countersign reject ${proposal.id}\`), or POST /api/proposals/${proposal.id}/approve; Slack, Telegram and the web console come later. It expires at ${proposal.expiresAt}.`,
    note:
      proposal.kind === 'cancel'
        ? 'The cancel is NOT sent until a human approves this proposal; the order keeps working until then.'
        : 'The order is NOT placed until a human approves this proposal. Nothing has been sent to the broker.',
    approval: 'not_asked',
    approval_message:
      'The client cannot ask for approval; the proposal waits for a human elsewhere.',
  };
}

/** The proposal in words for the person: every field of every leg, the rationale and the hash. */
function confirmMessage(proposal: Proposal): string {
  const legs = proposal.legs.map((leg) => {
    const size =
      leg.quantity !== null
        ? `${leg.quantity} shares of ${leg.symbol}`
        : `$${leg.notional} of ${leg.symbol}`;
    const price =
      leg.type === 'limit'
        ? ` limit ${leg.limitPrice}`
        : leg.type === 'stop'
          ? ` stop ${leg.stopPrice}`
          : ' at market';
    return `${leg.side.toUpperCase()} ${size}${price}, time in force ${leg.timeInForce} (last price ${leg.referencePrice ?? 'unknown'} USD)`;
  });
  return [
    `Approve this ${proposal.kind === 'basket' ? `basket of ${proposal.legs.length} orders` : proposal.kind} on account ${proposal.accountId}?`,
    ...legs,
    `Rationale: ${proposal.rationale || '(none)'}`,
    `Order hash ${proposal.orderHash}. Expires ${proposal.expiresAt}. Approving sends it to the broker.`,
  ].join('\n');
}

/**
 * When the client can show a form, asks the person to approve the proposal just made; an
 * acceptance on this authenticated session is that principal's approval through orders.approve
 * (every check applies: approver role, hash, drift, risk). Otherwise the proposal stays pending.
 */
export async function askToApprove(
  proposal: Proposal,
  context: ToolContext,
): Promise<z.infer<typeof proposalOutput>> {
  const described = describeProposal(proposal);
  if (!context.confirm) return described;
  let answer: 'accept' | 'decline' | 'cancel';
  try {
    answer = await context.confirm({
      proposalId: proposal.id,
      orderHash: proposal.orderHash,
      message: confirmMessage(proposal),
    });
  } catch (error) {
    return {
      ...described,
      approval_message: `The client could not ask for approval (${(error as Error).message}); the proposal waits for a human elsewhere.`,
    };
  }
  if (answer !== 'accept')
    return {
      ...described,
      approval: 'declined',
      approval_message: `The person ${answer === 'decline' ? 'declined' : 'dismissed'} the approval; the proposal stays pending (it can still be approved or rejected elsewhere).`,
    };
  try {
    const outcome = await context.orders.approve({
      proposalId: proposal.id,
      principalId: context.principal.id,
      channel: 'mcp_elicitation',
      orderHash: proposal.orderHash,
      evidence: { kind: 'mcp_elicitation', principal: context.principal.handle },
    });
    return {
      ...describeProposal(outcome.proposal),
      approval: 'approved',
      approval_message:
        outcome.status === 'submitted'
          ? `Approved by ${context.principal.handle} and sent: ${outcome.orders.map((order) => `${order.side} ${order.quantity ?? order.notional} ${order.symbol} → ${order.status}`).join(', ')}`
          : `Approved by ${context.principal.handle}; a second approver is needed (four-eyes rule) before it is sent.`,
      note:
        outcome.status === 'submitted'
          ? 'A human approved this proposal in the client; the orders went to the broker.'
          : described.note,
    };
  } catch (error) {
    if (error instanceof ApprovalRefusedError)
      return {
        ...described,
        approval: 'refused',
        approval_message: `The approval was refused: ${error.message}`,
      };
    throw error;
  }
}

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
  }),
  output: proposalOutput,
  writes: true,
  annotations: PROPOSES,
  async handler(input, context) {
    requireProposeScope(context, 'propose_order');
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
        proposer: { kind: 'mcp_client', principalId: context.principal.id },
        channel: 'mcp',
        rationale: input.rationale,
        strategy: input.strategy,
      });
      return await askToApprove(proposal, context);
    } catch (error) {
      throw toToolError(error);
    }
  },
});
