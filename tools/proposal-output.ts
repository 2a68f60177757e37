/**
 * What every proposing tool answers (propose_order, propose_rebalance, cancel_order): the
 * proposal as stored, where a human approves it, and what the approval step did; plus the
 * mapping of the orders service's errors onto ToolError and the 'propose' scope check.
 */
import { z } from 'zod';
import { failedChecks } from '../orders/describe.js';
import {
  AccessDeniedError,
  ApprovalRefusedError,
  NotFoundError,
  OrderInputError,
} from '../orders/errors.js';
import { shortHash } from '../orders/hash.js';
import { legView, PROPOSAL_STATUSES, type Proposal } from '../orders/types.js';
import { type ToolContext, ToolError } from './tool.js';

/** Maps the orders service's domain errors onto ToolError, keeping the message. */
export function toToolError(error: unknown): unknown {
  if (error instanceof OrderInputError) return new ToolError(error.message, 'bad_input');
  if (error instanceof NotFoundError) return new ToolError(error.message, 'not_found');
  if (error instanceof AccessDeniedError) return new ToolError(error.message, 'forbidden');
  if (error instanceof ApprovalRefusedError && error.code === 'not_found')
    return new ToolError(error.message, 'not_found');
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
    .enum(PROPOSAL_STATUSES)
    .describe('Always pending when just proposed: nothing has been sent to a broker'),
  failure_reason: z
    .string()
    .nullable()
    .describe('Why its orders failed at the broker, when any did (status failed when all did)'),
  kind: z.enum(['order', 'basket', 'cancel']).describe('order, basket (several legs) or cancel'),
  account: z.string().describe('Account id'),
  order_hash: z.string().describe('SHA-256 of exactly what the human is asked to approve'),
  order_hash_short: z
    .string()
    .describe('Its first 12 hex digits, as every channel shows it beside the order'),
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
      'not_asked: no approval form was shown (the client cannot show one, or this session may not approve here: see approval_message); declined: the person declined or dismissed it; approved: the person typed the code, approved, and it was sent (or awaits a second approver); refused: the approval failed a check or the code was wrong (see approval_message)',
    ),
  approval_message: z.string().describe('What the approval step did, in words'),
});

/** The output of a proposing tool for `proposal`. */
export function proposalResult(proposal: Proposal): z.infer<typeof proposalOutput> {
  const failed = failedChecks(proposal);
  return {
    id: proposal.id,
    status: proposal.status,
    failure_reason: proposal.failureReason,
    kind: proposal.kind,
    account: proposal.accountId,
    order_hash: proposal.orderHash,
    order_hash_short: shortHash(proposal.orderHash),
    created_at: proposal.createdAt,
    expires_at: proposal.expiresAt,
    required_approvals: proposal.requiredApprovals,
    cancel_order_id: proposal.cancelOrderId,
    strategy: proposal.strategy,
    legs: proposal.legs.map(legView),
    risk_passed: failed.length === 0,
    failed_checks: failed,
    approve_at: `A human approver can approve or reject it with \`countersign approve ${proposal.id}\` (or \`countersign reject ${proposal.id}\`), or POST /api/proposals/${proposal.id}/approve with a token holding the approve scope and {"order_hash": "${shortHash(proposal.orderHash)}"}; Slack, Telegram and the web console come later. It expires at ${proposal.expiresAt}.`,
    note:
      proposal.kind === 'cancel'
        ? 'The cancel is NOT sent until a human approves this proposal; the order keeps working until then.'
        : 'The order is NOT placed until a human approves this proposal. Nothing has been sent to the broker.',
    approval: 'not_asked',
    approval_message:
      'The client cannot ask for approval; the proposal waits for a human elsewhere.',
  };
}
