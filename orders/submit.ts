/**
 * Submitting: the only code that calls a broker's submit or cancel, for orders created in the
 * transaction that consumed their approvals (decide.ts), and recording what the broker answered.
 */
import type { Broker, BrokerOrder, BrokerOrderRequest } from '../broker/port.js';
import { BrokerRejectedError } from '../broker/port.js';
import { inTransaction, type PoolClient } from '../store/db/pool.js';
import { systemEntry } from './audit-entries.js';
import type { OrdersCore } from './core.js';
import {
  markOrderFailed,
  recordBrokerAnswer,
  recordCancelAnswer,
  selectOrders,
  settleProposalFailure,
} from './repo.js';
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
    const row = await settleProposalFailure(client, proposalId);
    if (row?.status === 'failed')
      await audit(
        client,
        systemEntry(
          'proposal.failed',
          'proposal',
          proposalId,
          { status: 'submitted' },
          { status: 'failed', reason: row.failure_reason },
        ),
      );
  }

  /** Applies the broker's answer to a row still marked 'submitting' (the paper broker may already have moved it on). */
  async function record(order: OrderRow, answer: BrokerOrder): Promise<void> {
    const status = statusFrom(answer);
    const updated = await inTransaction(pool, async (client) => {
      const after = await recordBrokerAnswer(client, order.id, {
        status,
        brokerOrderId: answer.brokerOrderId,
        at: now(),
        filledQuantity: answer.filledQuantity,
        avgFillPrice: answer.avgFillPrice,
        reason: answer.reason ?? null,
      });
      await audit(
        client,
        systemEntry(
          'order.submitted',
          'order',
          order.id,
          { status: order.status },
          {
            status: after,
            brokerOrderId: answer.brokerOrderId,
            brokerStatus: answer.status,
          },
        ),
      );
      if (after === 'failed') await settleFailure(client, order.proposalId);
      return after ?? status;
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
      await markOrderFailed(client, order.id, reason, now());
      await audit(
        client,
        systemEntry(
          'order.failed',
          'order',
          order.id,
          { status: order.status },
          { status: 'failed', reason },
        ),
      );
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
        await recordCancelAnswer(
          client,
          order.id,
          statusFrom(answer),
          answer.filledQuantity,
          now(),
        );
        await audit(
          client,
          systemEntry(
            'order.cancel_sent',
            'order',
            order.id,
            { status: order.status },
            { status: statusFrom(answer), cancelProposalId: proposal.id },
          ),
        );
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
        audit(
          client,
          systemEntry(
            'order.cancel_failed',
            'order',
            order.id,
            { status: order.status },
            { reason: (error as Error).message, cancelProposalId: proposal.id },
          ),
        ),
      );
    }
  }

  return { brokerFor, dispatch, send, record, fail, settleFailure, sendCancel };
}
