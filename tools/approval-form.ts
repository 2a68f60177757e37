/**
 * Approving inside an MCP client: after a proposing tool has made a proposal, the person at the
 * client may be asked, through an elicitation form, to approve exactly that order by typing the
 * short confirmation code shown beside it. The form is shown only when it could succeed: the
 * session holds the 'approve' scope, its principal may approve for the account, the account
 * allows elicitation, and the four-eyes rule does not exclude the proposer. A blind
 * `{approve: true}` approves nothing; orders.approve checks everything again.
 */
import { randomInt, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import { presentProposal } from '../orders/describe.js';
import { ApprovalRefusedError } from '../orders/errors.js';
import type { Proposal } from '../orders/types.js';
import { type proposalOutput, proposalResult } from './proposal-output.js';
import type { ToolContext } from './tool.js';

/** Letters and digits that cannot be mistaken for one another (no 0/O, 1/I/L). */
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
/** Characters in a confirmation code. */
export const CODE_LENGTH = 6;

/** A fresh confirmation code: 6 characters from a 31-letter alphabet (about 30 bits). */
export function confirmationCode(): string {
  let code = '';
  for (let k = 0; k < CODE_LENGTH; k++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

/** True when `typed` is `code`, ignoring case, spaces and dashes; compared in constant time. */
export function codeMatches(typed: unknown, code: string): boolean {
  if (typeof typed !== 'string') return false;
  const given = typed.replace(/[\s-]/g, '').toUpperCase();
  if (given.length !== code.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(code));
}

/** The form's text: the order from the stored legs, hash, expiry and code; the proposer's note last. */
export function confirmMessage(proposal: Proposal, code: string): string {
  const shown = presentProposal(proposal);
  return [
    `Approve this ${shown.heading}?`,
    ...shown.orders,
    `Order hash ${shown.hash}. Expires ${shown.expires}.${shown.approvals ? ` ${shown.approvals}.` : ''}`,
    `To approve and send it to the broker, type the confirmation code ${code}. Decline to leave it pending.`,
    shown.note,
  ].join('\n');
}

type Output = z.infer<typeof proposalOutput>;

/**
 * When the client can show a form and this session may approve, asks the person to approve the
 * proposal just made; the right code on this authenticated session is that principal's approval
 * through orders.approve (channel mcp_elicitation; every check applies again). Otherwise the
 * proposal stays pending and the result says why no form was shown.
 */
export async function askToApprove(proposal: Proposal, context: ToolContext): Promise<Output> {
  const described = proposalResult(proposal);
  if (!context.confirm) return described;
  const elsewhere = 'The proposal waits for a human approver elsewhere.';
  if (!context.principal.scopes.includes('approve'))
    return {
      ...described,
      approval_message: `No approval form was shown: this session's token lacks the 'approve' scope, so it cannot decide. ${elsewhere}`,
    };
  const decision = {
    proposalId: proposal.id,
    principalId: context.principal.id,
    channel: 'mcp_elicitation' as const,
    credential: context.principal.credential,
  };
  const blocked = await context.orders.canDecide(decision, 'approve');
  if (blocked)
    return {
      ...described,
      approval_message: `No approval form was shown: ${blocked.message}. ${elsewhere}`,
    };
  const code = confirmationCode();
  let answer: Awaited<ReturnType<NonNullable<ToolContext['confirm']>>>;
  try {
    answer = await context.confirm({
      proposalId: proposal.id,
      orderHash: proposal.orderHash,
      message: confirmMessage(proposal, code),
      code,
    });
  } catch (error) {
    // The client failed, or its answer did not fit the form (a blind {approve: true} has no
    // code): either way nothing is approved.
    return {
      ...described,
      approval: 'refused',
      approval_message: `The approval form got no valid answer (${(error as Error).message.slice(0, 300)}), so nothing was approved. ${elsewhere}`,
    };
  }
  if (answer.action !== 'accept')
    return {
      ...described,
      approval: 'declined',
      approval_message: `The person ${answer.action === 'decline' ? 'declined' : 'dismissed'} the approval; the proposal stays pending (it can still be approved or rejected elsewhere).`,
    };
  if (!codeMatches(answer.typed, code))
    return {
      ...described,
      approval: 'refused',
      approval_message:
        'The confirmation code typed does not match the one shown beside the order, so nothing was approved; the proposal stays pending.',
    };
  try {
    const outcome = await context.orders.approve({
      ...decision,
      orderHash: proposal.orderHash,
      evidence: { kind: 'mcp_elicitation', principal: context.principal.handle, codeTyped: true },
    });
    return {
      ...proposalResult(outcome.proposal),
      approval: 'approved',
      approval_message:
        outcome.status === 'submitted'
          ? `Approved by ${context.principal.handle} and sent: ${outcome.orders.map((order) => `${order.side} ${order.quantity ?? order.notional} ${order.symbol} → ${order.status}`).join(', ')}`
          : `Approved by ${context.principal.handle}; a second approver (not the proposer) is needed under the four-eyes rule before it is sent.`,
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
