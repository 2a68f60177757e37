/**
 * Proposals reach the approvers where they are. A new proposal (from the chat agent, an MCP
 * client, the REST API, an alert) is sent with its buttons to the linked Telegram and Slack
 * identities of every principal who may approve it: the account's approvers, less the proposer
 * under four-eyes. The proposer's own chat gets it from the chat turn that made it. Every copy
 * is a proposal_messages row, claimed before it is sent (so two paths never send one twice) and
 * edited when the proposal is decided, gets an approval or expires. The bus is at-most-once, so
 * a sweep at start (and on a timer) sends what a restart missed and edits what went stale.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../config/logger.js';
import type { Orders } from '../orders/service.js';
import type { Proposal } from '../orders/types.js';
import type { Pool } from '../store/db/pool.js';
import type { Bus, Unsubscribe } from '../store/kv/bus.js';
import type { ChatKind } from '../store/repos/chat-links-repo.js';
import { cardState, type ProposalCard, proposalCard } from './proposal-card.js';

/** What a chat channel does with a proposal card. */
export interface ProposalChannel {
  kind: ChatKind;
  /** Sends the card (buttons carrying `buttonId`) to `chatRef`; returns the message's ref. */
  sendCard(chatRef: string, card: ProposalCard, buttonId: string): Promise<string>;
  /** Sends plain text (an alert) to `chatRef`. */
  sendText(chatRef: string, text: string): Promise<void>;
  /** Edits a sent card to `card` (buttons gone when card.buttons is false). */
  editCard(
    chatRef: string,
    messageRef: string,
    card: ProposalCard,
    buttonId: string,
  ): Promise<void>;
}

export interface Deliveries {
  /** Sends the proposal to `chatRef` for `principalId` unless that copy exists; returns its button id or null. */
  sendTo(
    proposal: Proposal,
    channel: ChatKind,
    chatRef: string,
    principalId: string,
  ): Promise<string | null>;
  /** Sends a pending proposal to every approver's linked chats. */
  deliver(proposalId: string): Promise<number>;
  /** Edits every copy whose shown state is not the proposal's. */
  refresh(proposalId: string, known?: Proposal): Promise<number>;
  /** Sends what is undelivered and edits what is stale (after a restart). */
  sweep(): Promise<{ sent: number; edited: number }>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const newButtonId = () => randomBytes(9).toString('base64url');

export function createDeliveries(deps: {
  pool: Pool;
  orders: Orders;
  bus: Bus;
  channels: ProposalChannel[];
  logger: Logger;
  /** How often the sweep runs (default 60 s). */
  sweepMs?: number;
}): Deliveries {
  const { pool, orders, logger } = deps;
  const byKind = new Map(deps.channels.map((channel) => [channel.kind, channel]));
  const subscriptions: Unsubscribe[] = [];
  let timer: NodeJS.Timeout | undefined;
  /** Per proposal, one refresh at a time (two events close together must not race their edits). */
  const refreshing = new Map<string, Promise<number>>();

  async function sendTo(
    proposal: Proposal,
    kind: ChatKind,
    chatRef: string,
    principalId: string,
  ): Promise<string | null> {
    const channel = byKind.get(kind);
    if (!channel) return null;
    const id = newButtonId();
    const card = proposalCard(proposal);
    const claimed = await pool.query(
      `INSERT INTO proposal_messages (id, proposal_id, channel, chat_ref, principal_id, order_hash, shown_status)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
      [id, proposal.id, kind, chatRef, principalId, proposal.orderHash, card.state],
    );
    if (claimed.rowCount !== 1) return null;
    try {
      const ref = await channel.sendCard(chatRef, card, id);
      await pool.query(
        'UPDATE proposal_messages SET message_ref = $2, updated_at = now() WHERE id = $1',
        [id, ref],
      );
      return id;
    } catch (error) {
      // Not sent: free the claim so that the sweep tries again.
      await pool.query('DELETE FROM proposal_messages WHERE id = $1', [id]).catch(() => undefined);
      throw error;
    }
  }

  async function deliver(proposalId: string): Promise<number> {
    const proposal = await orders.getProposal(proposalId);
    if (proposal.status !== 'pending') return 0;
    const { rows } = await pool.query<{
      principal_id: string;
      kind: ChatKind;
      external_id: string;
    }>(
      `SELECT DISTINCT g.principal_id, i.kind, i.external_id
         FROM role_grants g JOIN principals p ON p.id = g.principal_id
         JOIN identities i ON i.principal_id = g.principal_id
        WHERE g.role = 'approver' AND (g.account_id = $1 OR g.account_id IS NULL)
          AND p.disabled_at IS NULL AND i.kind IN ('telegram', 'slack') AND i.revoked_at IS NULL
          AND NOT ($2 AND g.principal_id IS NOT DISTINCT FROM $3::uuid)`,
      [proposal.accountId, proposal.requiredApprovals > 1, proposal.proposedBy ?? null],
    );
    let sent = 0;
    for (const row of rows) {
      // A Telegram user's private chat has the user's id; a Slack DM goes to the user id.
      const chatRef =
        row.kind === 'slack' ? (row.external_id.split(':')[1] ?? row.external_id) : row.external_id;
      try {
        if (await sendTo(proposal, row.kind, chatRef, row.principal_id)) sent++;
      } catch (error) {
        logger.warn(
          { err: error, proposal: proposal.id, channel: row.kind },
          'bots: could not deliver a proposal; the sweep retries',
        );
      }
    }
    return sent;
  }

  async function refreshNow(proposalId: string, known?: Proposal): Promise<number> {
    const proposal = known ?? (await orders.getProposal(proposalId));
    const state = cardState(proposal);
    const { rows } = await pool.query<{
      id: string;
      channel: ChatKind;
      chat_ref: string;
      message_ref: string;
    }>(
      `SELECT id, channel, chat_ref, message_ref FROM proposal_messages
        WHERE proposal_id = $1 AND message_ref IS NOT NULL AND shown_status <> $2`,
      [proposalId, state],
    );
    const card = proposalCard(proposal);
    let edited = 0;
    for (const row of rows) {
      const channel = byKind.get(row.channel);
      if (!channel) continue;
      try {
        await channel.editCard(row.chat_ref, row.message_ref, card, row.id);
        await pool.query(
          'UPDATE proposal_messages SET shown_status = $2, updated_at = now() WHERE id = $1',
          [row.id, state],
        );
        edited++;
      } catch (error) {
        logger.warn(
          { err: error, proposal: proposalId },
          'bots: could not edit a proposal message; the sweep retries',
        );
      }
    }
    return edited;
  }

  function refresh(proposalId: string, known?: Proposal): Promise<number> {
    const prior = refreshing.get(proposalId);
    // A proposal read before the last edit finished may be older than it: read it again then.
    const next = (prior ?? Promise.resolve(0))
      .catch(() => 0)
      .then(() => refreshNow(proposalId, prior ? undefined : known));
    refreshing.set(proposalId, next);
    void next
      .finally(() => {
        if (refreshing.get(proposalId) === next) refreshing.delete(proposalId);
      })
      .catch(() => undefined);
    return next;
  }

  async function sweep(): Promise<{ sent: number; edited: number }> {
    let sent = 0;
    let edited = 0;
    const pending = await pool.query<{ id: string }>(
      "SELECT id FROM proposals WHERE status = 'pending' AND expires_at > now() ORDER BY created_at LIMIT 500",
    );
    for (const row of pending.rows) sent += await deliver(row.id).catch(() => 0);
    const stale = await pool.query<{ proposal_id: string }>(
      `SELECT DISTINCT m.proposal_id FROM proposal_messages m JOIN proposals p ON p.id = m.proposal_id
        WHERE m.message_ref IS NOT NULL AND m.shown_status NOT LIKE p.status || ':%' LIMIT 500`,
    );
    for (const row of stale.rows) edited += await refresh(row.proposal_id).catch(() => 0);
    return { sent, edited };
  }

  const safely = (what: string, work: () => Promise<unknown>) => {
    work().catch((error: unknown) => logger.warn({ err: error }, `bots: ${what} failed`));
  };

  return {
    sendTo,
    deliver,
    refresh,
    sweep,
    async start() {
      subscriptions.push(
        await deps.bus.subscribe('proposal.created', (event) =>
          safely('delivering a proposal', () => deliver(event.proposalId)),
        ),
      );
      for (const topic of [
        'proposal.approved',
        'proposal.rejected',
        'proposal.expired',
        'order.submitted',
        'order.failed',
      ] as const)
        subscriptions.push(
          await deps.bus.subscribe(topic, (event: { proposalId: string }) =>
            safely('editing proposal messages', () => refresh(event.proposalId)),
          ),
        );
      safely('the delivery sweep', sweep);
      timer = setInterval(() => safely('the delivery sweep', sweep), deps.sweepMs ?? 60_000);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      for (const unsubscribe of subscriptions.splice(0)) await unsubscribe();
      await Promise.allSettled([...refreshing.values()]);
    },
  };
}
