/**
 * The one proposal-in-words: a proposal as a person is shown it before deciding, rendered once as
 * structured lines that each channel formats (the CLI as a table, the MCP approval form as text,
 * and later the bots and the web console as cards): the exact order from the stored legs, the
 * risk results, approvals, expiry and short hash first; the proposer's rationale last, labelled
 * as an unverified note and sanitised (core/display-text.ts), so third-party text cannot pass for
 * part of the order.
 */

import { Dec } from '../core/decimal.js';
import { DISPLAY_TEXT_MAX, displayText } from '../core/display-text.js';
import { shortHash } from './hash.js';
import type { Leg, Proposal } from './types.js';

/** What the label says the rationale is. */
export const PROPOSER_NOTE_LABEL = "Proposer's note (unverified, not part of the order)";

const usd = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** One leg in words: side, size, symbol, type and prices, time in force, last price and estimated amount. */
export function legSentence(leg: Leg): string {
  const size =
    leg.quantity !== null
      ? `${leg.quantity} ${leg.quantity === '1' ? 'share' : 'shares'} of ${leg.symbol}`
      : `${usd.format(Number(leg.notional))} USD of ${leg.symbol}`;
  const price =
    leg.type === 'limit'
      ? ` limit ${leg.limitPrice} USD`
      : leg.type === 'stop'
        ? ` stop ${leg.stopPrice} USD`
        : ' at market';
  const reference = leg.limitPrice ?? leg.stopPrice ?? leg.referencePrice;
  const amount =
    leg.quantity !== null && reference !== null
      ? `; about ${usd.format(new Dec(leg.quantity).times(reference).toNumber())} USD`
      : '';
  return `${leg.side.toUpperCase()} ${size}${price}, time in force ${leg.timeInForce} (last price ${leg.referencePrice ?? 'unknown'} USD${amount})`;
}

/** The rationale as the last line a person sees: labelled, one line, control and bidi characters removed, capped. */
export function proposerNote(rationale: string, max = DISPLAY_TEXT_MAX): string {
  return `${PROPOSER_NOTE_LABEL}: ${quotedNote(rationale, max)}`;
}

/** The sanitised rationale in quotes, or "(none)". */
function quotedNote(rationale: string, max = DISPLAY_TEXT_MAX): string {
  const text = displayText(rationale, max);
  return text === '' ? '(none)' : `"${text}"`;
}

/** The parts of a proposal shown to a person, in the order they are shown. */
export interface PresentedProposal {
  /** "Approve this order on account paper?" style heading, without the question. */
  heading: string;
  /** One sentence per leg, or the order a cancel targets. */
  orders: string[];
  /** The short hash every channel displays (and accepts back). */
  hash: string;
  expires: string;
  /** "1 of 2 approvals" under four-eyes; empty otherwise. */
  approvals: string;
  /** Always last: the labelled line. */
  note: string;
  /** The sanitised rationale alone, quoted, or "(none)". */
  noteText: string;
}

/** A proposal as a person sees it; everything but `note` comes from the stored order. */
export function presentProposal(proposal: Proposal): PresentedProposal {
  const what =
    proposal.kind === 'basket'
      ? `basket of ${proposal.legs.length} orders`
      : proposal.kind === 'cancel'
        ? 'cancel'
        : 'order';
  const approved = proposal.approvals.filter((a) => a.decision === 'approve').length;
  return {
    heading: `${what} on account ${proposal.accountId}`,
    orders:
      proposal.kind === 'cancel'
        ? [`CANCEL order ${proposal.cancelOrderId}`]
        : proposal.legs.map(legSentence),
    hash: shortHash(proposal.orderHash),
    expires: proposal.expiresAt,
    approvals:
      proposal.requiredApprovals > 1
        ? `${approved} of ${proposal.requiredApprovals} approvals (two approvers other than the proposer)`
        : '',
    note: proposerNote(proposal.rationale),
    noteText: quotedNote(proposal.rationale),
  };
}

/** The failed pre-trade checks of a proposal, each as a sentence ("leg 2: …" in a basket). */
export function failedChecks(proposal: Proposal): string[] {
  const checks = proposal.riskResults as { leg?: number; passed?: boolean; message?: string }[];
  const multi = proposal.legs.length > 1;
  return checks
    .filter((check) => check.passed === false)
    .map((check) =>
      multi && check.leg !== undefined
        ? `leg ${check.leg}: ${check.message ?? 'failed'}`
        : (check.message ?? 'failed'),
    );
}

/** One labelled line of a proposal in words; `kind` lets a channel style it. */
export interface ProposalLine {
  label: string;
  text: string;
  /** order: part of what is approved; state: where it stands; note: quoted text, always last. */
  kind: 'order' | 'state' | 'note';
}

/**
 * Every line a person deciding on `proposal` is shown, in order: the proposal and its status,
 * the account, each order, the risk results, the approvals, the expiry, the hash, who proposed
 * it through which channel, why its orders failed (when they did), and last the proposer's note.
 */
export function describeProposal(proposal: Proposal): ProposalLine[] {
  const shown = presentProposal(proposal);
  const failed = failedChecks(proposal);
  const approved = proposal.approvals.filter((a) => a.decision === 'approve');
  const lines: ProposalLine[] = [
    { label: 'Proposal', text: `${proposal.id} (${proposal.status})`, kind: 'state' },
    { label: 'Account', text: proposal.accountId, kind: 'order' },
    ...shown.orders.map((text, k) => ({
      label: proposal.kind === 'cancel' ? 'Cancels' : `Leg ${k + 1}`,
      text,
      kind: 'order' as const,
    })),
    {
      label: 'Risk',
      text:
        failed.length === 0
          ? 'all checks pass'
          : `FAILS: ${failed.map((message) => displayText(message, 500)).join('; ')}`,
      kind: 'state',
    },
    {
      label: 'Approvals',
      text: `${approved.length} of ${proposal.requiredApprovals}${proposal.requiredApprovals > 1 ? ' (approvers other than the proposer)' : ''}${
        approved.length > 0
          ? `: ${approved.map((a) => `${a.handle ?? a.principalId} via ${a.channel}`).join(', ')}`
          : ''
      }`,
      kind: 'state',
    },
    { label: 'Expires', text: shown.expires, kind: 'state' },
    { label: 'Order hash', text: `${shown.hash} (${proposal.orderHash})`, kind: 'order' },
    {
      label: 'Proposed by',
      text: `${proposal.proposedByHandle ?? proposal.proposerKind} (${proposal.proposerKind} via ${proposal.channel})`,
      kind: 'state',
    },
  ];
  if (proposal.failureReason !== null)
    lines.push({
      label: proposal.status === 'failed' ? 'Failed' : 'Failed orders',
      text: displayText(proposal.failureReason, 500),
      kind: 'state',
    });
  // Last, and labelled: text someone else wrote, never part of the order.
  lines.push({
    label: "Proposer's note",
    text: `${shown.noteText} (unverified, not part of the order)`,
    kind: 'note',
  });
  return lines;
}
