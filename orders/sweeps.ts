/**
 * The sweeps: expiry of undecided proposals, reconciliation of orders left 'submitting' (after a
 * restart or a broker outage), and syncing working orders with their broker.
 */
import type { BrokerOrder } from '../broker/port.js';
import { inTransaction } from '../store/db/pool.js';
import { systemEntry } from './audit-entries.js';
import type { OrdersCore } from './core.js';
import {
  consumedApprovals,
  expirePendingProposals,
  markNeedsAttentionRows,
  selectOrders,
  updateOrderStatus,
} from './repo.js';
import { type Submitting, statusFrom } from './submit.js';
import type { OrderRow } from './types.js';

/** The sweeps part of the service. */
export type Sweeps = ReturnType<typeof createSweeps>;

/** Creates the sweeps; what they send or record goes through submitting. */
export function createSweeps(core: OrdersCore, submitting: Submitting) {
  const { pool, now, logger, publish, audit } = core;
  const { brokerFor, record, send, settleFailure } = submitting;

  async function expireDue(): Promise<string[]> {
    const expired = await inTransaction(pool, async (client) => {
      const rows = await expirePendingProposals(client, now());
      for (const row of rows)
        await audit(
          client,
          systemEntry(
            'proposal.expired',
            'proposal',
            row.id,
            { status: 'pending' },
            { status: 'expired' },
          ),
        );
      return rows;
    });
    for (const row of expired)
      publish('proposal.expired', {
        proposalId: row.id,
        accountId: row.account_id,
        at: now().toISOString(),
      });
    return expired.map((row) => row.id);
  }

  /**
   * After a restart (or a broker outage): every order still 'submitting' is looked up at the
   * broker by its client order id. Found: its state is recorded. Not found: it is sent now, once,
   * under the approvals consumed for it. Without such approvals it is marked needs_attention.
   */
  async function reconcile() {
    const pending = await selectOrders(pool, "status = 'submitting'", []);
    let sent = 0;
    let updated = 0;
    let needsAttention = 0;
    for (const order of pending) {
      let known: BrokerOrder | null;
      try {
        known = await brokerFor(order.broker).getOrder(order.accountId, order.clientOrderId);
      } catch (error) {
        logger.warn({ err: error, orderId: order.id }, 'reconcile: broker unavailable');
        continue;
      }
      if (known) {
        await record(order, known);
        updated += 1;
        continue;
      }
      const rows = await consumedApprovals(pool, order.proposalId);
      const valid = rows.filter(
        (row) => row.order_hash === row.proposal_hash && row.status === 'submitted',
      );
      if (valid.length === 0) {
        await markNeedsAttention(
          order,
          'no consumed human approval matches this order; it was not sent',
        );
        needsAttention += 1;
        continue;
      }
      await send(order, {
        proposalId: order.proposalId,
        approvalIds: valid.map((row) => row.id),
        orderHash: (valid[0] as { order_hash: string }).order_hash,
      });
      sent += 1;
    }
    return { checked: pending.length, sent, updated, needsAttention };
  }

  async function markNeedsAttention(order: OrderRow, reason: string): Promise<void> {
    await inTransaction(pool, async (client) => {
      await markNeedsAttentionRows(client, order, reason, now());
      await audit(
        client,
        systemEntry(
          'order.needs_attention',
          'order',
          order.id,
          { status: order.status },
          { status: 'needs_attention', reason },
        ),
      );
    });
  }

  async function syncOpen(clientOrderIds?: string[]): Promise<number> {
    const open = clientOrderIds
      ? await selectOrders(pool, 'client_order_id = ANY($1)', [clientOrderIds])
      : await selectOrders(pool, "status IN ('submitted', 'partially_filled')", []);
    let changed = 0;
    for (const order of open) {
      let answer: BrokerOrder | null;
      try {
        answer = await brokerFor(order.broker).getOrder(order.accountId, order.clientOrderId);
      } catch (error) {
        logger.warn({ err: error, orderId: order.id }, 'sync: broker unavailable');
        continue;
      }
      if (!answer) continue;
      const status = statusFrom(answer);
      // The paper broker books fills into the row itself: only the event is missing then.
      const known = clientOrderIds !== undefined;
      if (!known && status === order.status && answer.filledQuantity === order.filledQuantity)
        continue;
      if (!known) {
        await inTransaction(pool, async (client) => {
          await updateOrderStatus(client, order.id, {
            status,
            filledQuantity: answer.filledQuantity,
            avgFillPrice: answer.avgFillPrice,
            reason: answer.reason ?? null,
            at: now(),
          });
          await audit(
            client,
            systemEntry(
              `order.${status}`,
              'order',
              order.id,
              { status: order.status, filledQuantity: order.filledQuantity },
              {
                status,
                filledQuantity: answer.filledQuantity,
                avgFillPrice: answer.avgFillPrice,
              },
            ),
          );
          if (status === 'failed') await settleFailure(client, order.proposalId);
        });
      } else if (status === 'failed') {
        // The paper broker moved the row itself (a fill-time shortfall): the proposal follows.
        await inTransaction(pool, (client) => settleFailure(client, order.proposalId));
      }
      changed += 1;
      const base = {
        orderId: order.id,
        proposalId: order.proposalId,
        accountId: order.accountId,
        at: now().toISOString(),
      };
      if (status === 'filled' || status === 'partially_filled')
        publish('order.filled', { ...base, status, filledQuantity: answer.filledQuantity });
      else if (status === 'cancelled') publish('order.cancelled', base);
      else if (status === 'failed')
        publish('order.failed', { ...base, reason: answer.reason ?? 'rejected by the broker' });
    }
    return changed;
  }

  return { expireDue, reconcile, markNeedsAttention, syncOpen };
}
