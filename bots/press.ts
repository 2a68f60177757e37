/**
 * An Approve or Reject button pressed in Telegram or Slack. The channel has verified that the
 * press came from the chat app (the webhook secret, Slack's signature) and who pressed it (the
 * app's user id); this checks that the button is one we sent, that the presser is linked to a
 * principal and is the person the message was sent to, then hands the decision to
 * orders.approve / orders.reject with the order hash the message showed and what the channel
 * verified as evidence. Orders checks everything again (approver role, pending, expiry, hash,
 * price drift, four-eyes) and fails closed. A refusal here is written to the audit log too.
 */

import type { Logger } from '../config/logger.js';
import { ApprovalRefusedError, NotFoundError } from '../orders/errors.js';
import type { Orders } from '../orders/service.js';
import type { Proposal } from '../orders/types.js';
import { auditBatcherFor } from '../store/audit/audit-batcher.js';
import type { Pool } from '../store/db/pool.js';
import { type ChatKind, principalForChat } from '../store/repos/chat-links-repo.js';

/** Button ids are opaque: 8-32 of letters, digits, '_' and '-'. */
export const BUTTON_ID = /^[A-Za-z0-9_-]{8,32}$/;

export interface Press {
  channel: ChatKind;
  /** The proposal_messages id the button carries. */
  buttonId: string;
  action: 'approve' | 'reject';
  /** The chat app's id of the presser (Telegram user id, Slack "TEAM:USER"). */
  userId: string;
  /** What the channel verified about this press (chat, message, update ids, signature time…). */
  evidence: Record<string, unknown>;
}

/** The answer shown to the presser at once, and the proposal as it now stands (to edit every copy). */
export interface PressResult {
  ok: boolean;
  /** Short (Telegram's callback answer shows at most 200 characters). */
  text: string;
  proposal?: Proposal;
}

export async function handlePress(
  deps: { pool: Pool; orders: Orders; logger: Logger },
  press: Press,
): Promise<PressResult> {
  const { pool, orders } = deps;
  const refuse = async (
    why: string,
    text: string,
    proposalId: string | null,
    principalId: string | null,
  ): Promise<PressResult> => {
    try {
      await auditBatcherFor(pool).append({
        actorKind: principalId ? 'principal' : 'system',
        actorId: principalId,
        channel: press.channel,
        action: press.action === 'approve' ? 'approval.refused' : 'rejection.refused',
        entityKind: 'proposal',
        entityId: proposalId ?? `button:${press.buttonId.slice(0, 32)}`,
        after: { why, user: press.userId, ...press.evidence },
      });
    } catch (error) {
      deps.logger.warn({ err: error }, 'bots: could not audit a refused press');
    }
    return { ok: false, text };
  };
  if (!BUTTON_ID.test(press.buttonId))
    return refuse('bad_button', 'This button is not one of ours.', null, null);
  const { rows } = await pool.query<{
    proposal_id: string;
    principal_id: string;
    order_hash: string;
    chat_ref: string;
    handle: string;
  }>(
    `SELECT m.proposal_id, m.principal_id, m.order_hash, m.chat_ref, p.handle
       FROM proposal_messages m JOIN principals p ON p.id = m.principal_id
      WHERE m.id = $1 AND m.channel = $2`,
    [press.buttonId, press.channel],
  );
  const message = rows[0];
  if (!message)
    return refuse(
      'unknown_button',
      'This button is not known here (an old or forged message).',
      null,
      null,
    );
  const presser = await principalForChat(pool, press.channel, press.userId);
  if (!presser)
    return refuse(
      'unlinked',
      'You are not linked to Countersign: ask an admin for a code (countersign link), then send /link CODE.',
      message.proposal_id,
      null,
    );
  if (presser.id !== message.principal_id)
    return refuse(
      'not_addressee',
      `This approval was sent to ${message.handle}; only they can decide on it here. Approvers get their own copy.`,
      message.proposal_id,
      presser.id,
    );
  const input = {
    proposalId: message.proposal_id,
    principalId: presser.id,
    channel: press.channel,
    orderHash: message.order_hash,
    evidence: { user: press.userId, button: press.buttonId, ...press.evidence },
  } as const;
  try {
    if (press.action === 'approve') {
      const outcome = await orders.approve(input);
      return {
        ok: true,
        text:
          outcome.status === 'submitted'
            ? 'Approved: the order is sent.'
            : 'Approved: one more approval is needed.',
        proposal: outcome.proposal,
      };
    }
    const proposal = await orders.reject({
      ...input,
      reason: `rejected in ${press.channel} by ${presser.handle}`,
    });
    return { ok: true, text: 'Rejected: nothing is sent.', proposal };
  } catch (error) {
    if (error instanceof ApprovalRefusedError || error instanceof NotFoundError) {
      const proposal = await orders.getProposal(message.proposal_id).catch(() => undefined);
      return {
        ok: false,
        text: `Refused: ${error.message}`.slice(0, 200),
        ...(proposal ? { proposal } : {}),
      };
    }
    deps.logger.error({ err: error }, 'bots: a press failed');
    return { ok: false, text: 'Something went wrong; nothing was decided. Try again in a moment.' };
  }
}
