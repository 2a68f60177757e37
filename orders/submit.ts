/**
 * Submitting: the only code that calls a broker's submit or cancel, for orders created in the
 * transaction that consumed their approvals (decide.ts), and recording what the broker answered.
 */
import type { Broker, BrokerOrder, BrokerOrderRequest } from '../broker/port.js';
import { BrokerRejectedError } from '../broker/port.js';
import { inTransaction, type PoolClient } from '../store/db/pool.js';
import type { OrdersCore } from './core.js';
import { selectOrders } from './repo.js';
import type { OrderRow, OrderStatus, Proposal } from './types.js';

/** Maps a broker's order status onto ours. */
export function statusFrom(order: BrokerOrder): OrderStatus {
  switch (order.status) {
    case 'accepted':
      return 'submitted';
    case 'partially_filled':
      return 'partially_filled';
    case 'filled':
      return 'filled';
    case 'cancelled':
    case 'expired':
      return 'cancelled';
    case 'rejected':
      return 'failed';
  }
}

/** The submitting part of the service. */
export type Submitting = ReturnType<typeof createSubmitting>;

/** Creates the submitting part over the shared core. */
export function createSubmitting(core: OrdersCore) {
  const { pool, deps, now, logger, publish, audit } = core;

  function brokerFor(name: string): Broker {
    const broker = deps.brokers[name];
    if (!broker) throw new Error(`no broker adapter "${name}" is configured`);
    return broker;
  }

  /** Sends freshly created orders (or a cancel) to the broker and records what it answered. */
  async function dispatch(
    proposal: Proposal,
    orders: OrderRow[],
    proof: { proposalId: string; approvalIds: string[]; orderHash: string },
  ): Promise<void> {
    if (proposal.kind === 'cancel') {
      await sendCancel(proposal);
      return;
    }
    for (const order of orders) await send(order, proof);
  }

  async function send(
    order: OrderRow,
    proof: { proposalId: string; approvalIds: string[]; orderHash: string },
  ): Promise<void> {
    const request: BrokerOrderRequest = {
      clientOrderId: order.clientOrderId,
      orderId: order.id,
      accountId: order.accountId,
      symbol: order.symbol,
      side: order.side,
      ...(order.quantity !== null ? { quantity: order.quantity } : {}),
      ...(order.notional !== null ? { notional: order.notional } : {}),
      type: order.type,
      ...(order.limitPrice !== null ? { limitPrice: order.limitPrice } : {}),
      ...(order.stopPrice !== null ? { stopPrice: order.stopPrice } : {}),
      timeInForce: order.timeInForce,
      approval: proof,
    };
    let answer: BrokerOrder;
    try {
      answer = await brokerFor(order.broker).submit(request);
    } catch (error) {
      if (error instanceof BrokerRejectedError) {
        await fail(order, error.message);
        return;
      }
      // Unreachable broker (or a crash): the row stays 'submitting' and reconcile() finishes it.
      logger.warn(
        { err: error, orderId: order.id },
        'order not confirmed by the broker yet; reconcile will retry',
      );
      return;
    }
    await record(order, answer);
  }

  /**
   * After an order of `proposalId` failed: the proposal keeps why, leg by leg, and becomes
   * 'failed' once every order it became has failed (a basket with some orders working stays
   * 'submitted', its failure_reason naming the legs that failed). In the caller's transaction.
   */
  async function settleFailure(client: PoolClient, proposalId: string): Promise<void> {
    const { rows } = await client.query<{ status: string; failure_reason: string | null }>(
      `UPDATE proposals p SET
          status = CASE WHEN NOT EXISTS (SELECT 1 FROM orders o WHERE o.proposal_id = p.id AND o.status <> 'failed')
                        THEN 'failed' ELSE p.status END,
          failure_reason = (
            SELECT string_agg(
                     CASE WHEN p.kind = 'basket' THEN 'leg ' || o.leg || ' (' || o.symbol || '): ' ELSE '' END
                       || COALESCE(o.failure_reason, 'rejected by the broker'), '; ' ORDER BY o.leg)
              FROM orders o WHERE o.proposal_id = p.id AND o.status = 'failed')
        WHERE p.id = $1 AND p.status = 'submitted'
        RETURNING p.status, p.failure_reason`,
      [proposalId],
    );
    const row = rows[0];
    if (row?.status === 'failed')
      await audit(client, {
        actorKind: 'system',
        actorId: null,
        channel: 'system',
        action: 'proposal.failed',
        entityKind: 'proposal',
        entityId: proposalId,
        before: { status: 'submitted' },
        after: { status: 'failed', reason: row.failure_reason },
      });
  }

  /** Applies the broker's answer to a row still marked 'submitting' (the paper broker may already have moved it on). */
  async function record(order: OrderRow, answer: BrokerOrder): Promise<void> {
    const status = statusFrom(answer);
    const updated = await inTransaction(pool, async (client) => {
      const { rows } = await client.query<{ status: OrderStatus }>(
        `UPDATE orders SET status = CASE WHEN status = 'submitting' THEN $2 ELSE status END,
                broker_order_id = COALESCE(broker_order_id, $3),
                submitted_at = COALESCE(submitted_at, $4),
                filled_quantity = CASE WHEN status = 'submitting' THEN $5::numeric ELSE filled_quantity END,
                avg_fill_price = CASE WHEN status = 'submitting' THEN $6::numeric ELSE avg_fill_price END,
                failure_reason = CASE WHEN status = 'submitting' THEN $7 ELSE failure_reason END,
                updated_at = $4
          WHERE id = $1 RETURNING status`,
        [
          order.id,
          status,
          answer.brokerOrderId,
          now(),
          answer.filledQuantity,
          answer.avgFillPrice,
          answer.reason ?? null,
        ],
      );
      await audit(client, {
        actorKind: 'system',
        actorId: null,
        channel: 'system',
        action: 'order.submitted',
        entityKind: 'order',
        entityId: order.id,
        before: { status: order.status },
        after: {
          status: rows[0]?.status,
          brokerOrderId: answer.brokerOrderId,
          brokerStatus: answer.status,
        },
      });
      if (rows[0]?.status === 'failed') await settleFailure(client, order.proposalId);
      return rows[0]?.status ?? status;
    });
    const base = {
      orderId: order.id,
      proposalId: order.proposalId,
      accountId: order.accountId,
      at: now().toISOString(),
    };
    publish('order.submitted', base);
    if (updated === 'filled' || updated === 'partially_filled')
      publish('order.filled', { ...base, status: updated, filledQuantity: answer.filledQuantity });
    if (updated === 'failed')
      publish('order.failed', { ...base, reason: answer.reason ?? 'rejected by the broker' });
    if (updated === 'cancelled') publish('order.cancelled', base);
  }

  async function fail(order: OrderRow, reason: string): Promise<void> {
    await inTransaction(pool, async (client) => {
      await client.query(
        `UPDATE orders SET status = 'failed', failure_reason = $2, updated_at = $3 WHERE id = $1 AND status = 'submitting'`,
        [order.id, reason, now()],
      );
      await audit(client, {
        actorKind: 'system',
        actorId: null,
        channel: 'system',
        action: 'order.failed',
        entityKind: 'order',
        entityId: order.id,
        before: { status: order.status },
        after: { status: 'failed', reason },
      });
      await settleFailure(client, order.proposalId);
    });
    publish('order.failed', {
      orderId: order.id,
      proposalId: order.proposalId,
      accountId: order.accountId,
      reason,
      at: now().toISOString(),
    });
  }

  async function sendCancel(proposal: Proposal): Promise<void> {
    const [order] = await selectOrders(pool, 'id = $1', [proposal.cancelOrderId]);
    if (!order) return;
    try {
      const answer = await brokerFor(order.broker).cancel(order.accountId, order.clientOrderId);
      await inTransaction(pool, async (client) => {
        await client.query(
          `UPDATE orders SET status = $2, filled_quantity = $3::numeric, updated_at = $4
            WHERE id = $1 AND status IN ('submitted', 'partially_filled')`,
          [order.id, statusFrom(answer), answer.filledQuantity, now()],
        );
        await audit(client, {
          actorKind: 'system',
          actorId: null,
          channel: 'system',
          action: 'order.cancel_sent',
          entityKind: 'order',
          entityId: order.id,
          before: { status: order.status },
          after: { status: statusFrom(answer), cancelProposalId: proposal.id },
        });
      });
      if (statusFrom(answer) === 'cancelled')
        publish('order.cancelled', {
          orderId: order.id,
          proposalId: order.proposalId,
          accountId: order.accountId,
          at: now().toISOString(),
        });
    } catch (error) {
      logger.warn({ err: error, orderId: order.id }, 'cancel not confirmed by the broker');
      await inTransaction(pool, (client) =>
        audit(client, {
          actorKind: 'system',
          actorId: null,
          channel: 'system',
          action: 'order.cancel_failed',
          entityKind: 'order',
          entityId: order.id,
          before: { status: order.status },
          after: { reason: (error as Error).message, cancelProposalId: proposal.id },
        }),
      );
    }
  }

  return { brokerFor, dispatch, send, record, fail, settleFailure, sendCancel };
}
