/**
 * A proposal as a chat message, for every chat channel: the heading (what is asked, or how it
 * ended), the lines orders/describe.ts gives every channel (account, each order with its
 * reference price and amount, risk results, approvals "1 of 2", expiry, hash, who proposed it,
 * the proposer's note last), and whether the Approve / Reject buttons are shown (only while it is
 * pending). Channels format it; nothing here decides.
 */
import { describeProposal, type ProposalLine } from '../orders/describe.js';
import { shortHash } from '../orders/hash.js';
import type { Proposal } from '../orders/types.js';

export interface ProposalCard {
  heading: string;
  lines: ProposalLine[];
  /** How it ended (decided, expired, failed), who decided and when; empty while pending. */
  outcome: string;
  buttons: boolean;
  /** What the card shows, for knowing when a message needs editing: status and approvals. */
  state: string;
}

/** The state a message is rendered in: status and the number of approvals. */
export function cardState(proposal: Proposal): string {
  const approvals = proposal.approvals.filter((a) => a.decision === 'approve').length;
  return `${proposal.status}:${approvals}`;
}

function outcomeOf(proposal: Proposal): string {
  const last = proposal.approvals.at(-1);
  const by = last ? ` by ${last.handle ?? last.principalId} via ${last.channel} at ${last.at}` : '';
  switch (proposal.status) {
    case 'pending':
      return '';
    case 'approved':
    case 'submitted':
      return `APPROVED${by}: ${proposal.status === 'submitted' ? 'sent to the broker' : 'being sent'}.`;
    case 'rejected':
      return `REJECTED${by}. Nothing was sent.`;
    case 'expired':
      return `EXPIRED at ${proposal.expiresAt} without a decision. Nothing was sent.`;
    case 'failed':
      return `APPROVED${by}, but the broker refused it: ${proposal.failureReason ?? 'no reason given'}.`;
    case 'needs_attention':
      return `APPROVED${by}; the broker's answer is unclear and an operator is checking it.`;
    default:
      return `Status: ${proposal.status}.`;
  }
}

export function proposalCard(proposal: Proposal): ProposalCard {
  const pending = proposal.status === 'pending';
  const what =
    proposal.kind === 'cancel' ? 'cancel' : proposal.kind === 'basket' ? 'basket' : 'order';
  const approved = proposal.approvals.filter((a) => a.decision === 'approve').length;
  const heading = pending
    ? `Approve this ${what} on account ${proposal.accountId}? (hash ${shortHash(proposal.orderHash)})${
        proposal.requiredApprovals > 1
          ? ` ${approved} of ${proposal.requiredApprovals} approvals`
          : ''
      }`
    : `Proposal ${proposal.status} (hash ${shortHash(proposal.orderHash)})`;
  return {
    heading,
    lines: describeProposal(proposal),
    outcome: outcomeOf(proposal),
    buttons: pending,
    state: cardState(proposal),
  };
}

/** The card as plain text (Slack's fallback text, logs, tests). */
export function cardText(card: ProposalCard): string {
  return [
    card.heading,
    ...card.lines.map((line) => `${line.label}: ${line.text}`),
    ...(card.outcome ? [card.outcome] : []),
  ].join('\n');
}
