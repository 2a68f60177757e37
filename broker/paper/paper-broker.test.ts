/**
 * The paper broker's own rules on a real PostgreSQL: what submit checks (the row, the approval
 * proof, the account, cash and shares, with the messages it gives), cancel and its audit entry,
 * account and positions valuation, fillsSince cursors, the daily-bar quote feed, lock waits.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/database.js';
import {
  type BrokerOrderRequest,
  BrokerRejectedError,
  BrokerUnavailableError,
  MissingApprovalError,
} from '../port.js';
import { createPaperBroker } from './paper-broker.js';
import { dailyBarQuotes, memoryQuotes } from './quotes.js';
import { ApprovalProofMismatchError } from './submit-checks.js';
import {
  auditOf,
  cashIn,
  createOrderRow,
  createPaperAccount,
  ensureInstrument,
  fillsOf,
  ledgerOf,
  readOrder,
} from './test-orders.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

async function setup(cash = '100000') {
  const quotes = memoryQuotes({ PB: { price: '100', volume: null, at: 'd1' } });
  const broker = createPaperBroker({ pool: db.pool, quotes });
  const accountId = await createPaperAccount(db.pool, { cash });
  return { quotes, broker, accountId };
}

async function rejection(promise: Promise<unknown>): Promise<BrokerRejectedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof BrokerRejectedError))
    throw new Error(`expected a rejection, got ${String(error)}`);
  return error;
}

/** Nothing was sent: the row is untouched in 'submitting' and getOrder knows nothing. */
async function expectUnsent(request: BrokerOrderRequest, accountId: string) {
  expect(await readOrder(db.pool, request.orderId)).toMatchObject({
    status: 'submitting',
    broker_order_id: null,
  });
  expect(await fillsOf(db.pool, request.orderId)).toEqual([]);
  expect(await ledgerOf(db.pool, accountId)).toEqual([]);
}

describe('submit', () => {
  it('accepts the row, names it paper-<orders.id>, fills a market order at once and returns the same state on a retry', async () => {
    const { broker, accountId } = await setup();
    const request = await createOrderRow(db.pool, accountId, {
      symbol: 'PB',
      side: 'buy',
      quantity: '10',
    });
    const first = await broker.submit(request);
    expect(first).toMatchObject({
      clientOrderId: request.clientOrderId,
      brokerOrderId: `paper-${request.orderId}`,
      status: 'filled',
      filledQuantity: '10',
      avgFillPrice: '100.05',
    });
    expect(await broker.submit(request)).toEqual(first);
    expect(await fillsOf(db.pool, request.orderId)).toHaveLength(1);
    expect(await broker.getOrder(accountId, request.clientOrderId)).toEqual(first);
    const { rows } = await db.pool.query('SELECT submitted_at FROM orders WHERE id = $1', [
      request.orderId,
    ]);
    expect(rows[0]?.submitted_at).toBeInstanceOf(Date);
  });

  it('checks the approval proof against the database: proposal, order hash and approvals', async () => {
    const { broker, accountId } = await setup();
    const request = await createOrderRow(db.pool, accountId, {
      symbol: 'PB',
      side: 'buy',
      quantity: '1',
    });
    const other = await createOrderRow(db.pool, accountId, {
      symbol: 'PB',
      side: 'buy',
      quantity: '1',
    });
    const forged: [BrokerOrderRequest['approval'], RegExp][] = [
      [
        { ...request.approval, proposalId: other.approval.proposalId },
        /names proposal .* the order belongs to/,
      ],
      [
        { ...request.approval, orderHash: other.approval.orderHash },
        /order hash .* is not the proposal's/,
      ],
      [
        { ...request.approval, approvalIds: other.approval.approvalIds },
        /1 of its 1 approval id\(s\) are not approvals of this proposal's order/,
      ],
      [
        { ...request.approval, approvalIds: [randomUUID()] },
        /are not approvals of this proposal's order/,
      ],
      [{ ...request.approval, approvalIds: ['approved'] }, /approval id "approved" is not a uuid/],
    ];
    for (const [approval, message] of forged) {
      const attempt = broker.submit({ ...request, approval });
      await expect(attempt).rejects.toBeInstanceOf(ApprovalProofMismatchError);
      await expect(attempt).rejects.toBeInstanceOf(MissingApprovalError);
      await expect(attempt).rejects.toThrow(message);
    }
    await expectUnsent(request, accountId);
    // A 'reject' decision on the same proposal is no approval either.
    const { rows } = await db.pool.query<{ id: string }>(
      `WITH p AS (INSERT INTO principals (handle) VALUES ($1) RETURNING id)
       INSERT INTO approvals (proposal_id, principal_id, decision, channel, order_hash)
       SELECT $2, p.id, 'reject', 'cli', $3 FROM p RETURNING id`,
      [`rej-${randomUUID().slice(0, 8)}`, request.approval.proposalId, request.approval.orderHash],
    );
    const rejectedId = rows[0]?.id as string;
    await expect(
      broker.submit({ ...request, approval: { ...request.approval, approvalIds: [rejectedId] } }),
    ).rejects.toBeInstanceOf(ApprovalProofMismatchError);
    await expectUnsent(request, accountId);
    expect((await broker.submit(request)).status).toBe('filled');
  });

  it('refuses a request that is not exactly its orders row', async () => {
    const { broker, accountId } = await setup();
    const request = await createOrderRow(db.pool, accountId, {
      symbol: 'PB',
      side: 'buy',
      quantity: '10',
    });
    const changed = await rejection(broker.submit({ ...request, quantity: '11' }));
    expect(changed.code).toBe('order_mismatch');
    expect(changed.message).toBe(
      `order ${request.orderId} does not match the request (request ≠ orders row): quantity 11 ≠ 10`,
    );
    const more = await rejection(
      broker.submit({ ...request, side: 'sell', type: 'limit', limitPrice: '1' }),
    );
    expect(more.message).toMatch(/side sell ≠ buy; type limit ≠ market; limitPrice 1 ≠ none$/);
    // The same number spelled differently is the same order.
    expect((await broker.submit({ ...request, quantity: '10.000' })).status).toBe('filled');
  });

  it('refuses unknown orders, a client order id that is not the row’s, and rows not in submitting', async () => {
    const { broker, accountId } = await setup();
    const request = await createOrderRow(db.pool, accountId, {
      symbol: 'PB',
      side: 'buy',
      quantity: '1',
    });
    expect((await rejection(broker.submit({ ...request, orderId: randomUUID() }))).code).toBe(
      'unknown_order',
    );
    expect((await rejection(broker.submit({ ...request, orderId: 'order-1' }))).code).toBe(
      'unknown_order',
    );
    const other = await rejection(broker.submit({ ...request, clientOrderId: 'cs-x-1' }));
    expect(other.code).toBe('order_mismatch');
    await db.pool.query(`UPDATE orders SET status = 'failed' WHERE id = $1`, [request.orderId]);
    const failed = await rejection(broker.submit(request));
    expect(failed.message).toBe(
      `order ${request.orderId} is 'failed'; only an order in 'submitting' can be sent`,
    );
  });

  it('refuses an account the paper broker does not keep', async () => {
    const { broker } = await setup();
    const closed = await createPaperAccount(db.pool, { cash: '1000' });
    const request = await createOrderRow(db.pool, closed, {
      symbol: 'PB',
      side: 'buy',
      quantity: '1',
    });
    await db.pool.query('UPDATE accounts SET closed_at = now() WHERE id = $1', [closed]);
    expect((await rejection(broker.submit(request))).message).toBe(`account '${closed}' is closed`);
    await expect(broker.account('no-such-account')).rejects.toThrow(
      "unknown account 'no-such-account'",
    );
    await expect(broker.positions('no-such-account')).rejects.toBeInstanceOf(BrokerRejectedError);
    const alpaca = await createPaperAccount(db.pool, { broker: 'alpaca' });
    await expect(broker.account(alpaca)).rejects.toThrow(
      `account '${alpaca}' is kept by broker 'alpaca', not by the paper broker`,
    );
  });

  it('refuses a symbol without a price and an instrument in another currency', async () => {
    const { broker, accountId } = await setup();
    const unpriced = await createOrderRow(db.pool, accountId, {
      symbol: 'NOPX',
      side: 'buy',
      quantity: '1',
    });
    const noPrice = await rejection(broker.submit(unpriced));
    expect(noPrice.code).toBe('no_price');
    expect(noPrice.message).toMatch(/^no price for NOPX: /);

    await ensureInstrument(db.pool, 'EURX', 'EUR');
    const quotes = memoryQuotes({ EURX: { price: '10', volume: null, at: 'd1' } });
    const euro = await createOrderRow(db.pool, accountId, {
      symbol: 'EURX',
      side: 'buy',
      quantity: '1',
    });
    const fx = await rejection(createPaperBroker({ pool: db.pool, quotes }).submit(euro));
    expect(fx.message).toBe(
      `EURX trades in EUR but account '${accountId}' is in USD; the paper broker does no currency exchange`,
    );
    await expectUnsent(euro, accountId);
  });

  it('refuses a buy that costs more than the cash, naming cash and cost', async () => {
    const { broker, accountId } = await setup('1000');
    const request = await createOrderRow(db.pool, accountId, {
      symbol: 'PB',
      side: 'buy',
      quantity: '10',
    });
    const refused = await rejection(broker.submit(request));
    expect(refused.code).toBe('insufficient_cash');
    expect(refused.message).toBe(
      `insufficient cash: buying 10 PB costs up to 1000.50 (10 × 100.05 + commission 0.00) but account '${accountId}' has 1000.00 cash; paper accounts have no margin`,
    );
    await expectUnsent(request, accountId);
    const limit = await createOrderRow(db.pool, accountId, {
      symbol: 'PB',
      side: 'buy',
      quantity: '10',
      type: 'limit',
      limitPrice: '100',
    });
    // A limit buy is checked at its limit: 10 × 100 = 1000.00 fits.
    expect((await broker.submit(limit)).status).toBe('filled');
    expect(await cashIn(db.pool, accountId)).toBe('0.00');
  });

  it('refuses to sell shares not held, counting those already promised to working sells (no shorts)', async () => {
    const { broker, accountId, quotes } = await setup();
    const naked = await createOrderRow(db.pool, accountId, {
      symbol: 'PB',
      side: 'sell',
      quantity: '10',
    });
    expect((await rejection(broker.submit(naked))).message).toBe(
      `insufficient shares: selling 10 PB but account '${accountId}' holds 0, so at most 0 can be sold; paper accounts cannot sell short`,
    );
    await broker.submit(
      await createOrderRow(db.pool, accountId, { symbol: 'PB', side: 'buy', quantity: '10' }),
    );
    const working = await createOrderRow(db.pool, accountId, {
      symbol: 'PB',
      side: 'sell',
      quantity: '6',
      type: 'limit',
      limitPrice: '200',
    });
    expect((await broker.submit(working)).status).toBe('accepted');
    const second = await createOrderRow(db.pool, accountId, {
      symbol: 'PB',
      side: 'sell',
      quantity: '6',
    });
    const refused = await rejection(broker.submit(second));
    expect(refused.code).toBe('insufficient_shares');
    expect(refused.message).toBe(
      `insufficient shares: selling 6 PB but account '${accountId}' holds 10 (6 already in working sell orders), so at most 4 can be sold; paper accounts cannot sell short`,
    );
    const four = await createOrderRow(db.pool, accountId, {
      symbol: 'PB',
      side: 'sell',
      quantity: '4',
    });
    expect((await broker.submit(four)).status).toBe('filled');
    // The fill-time guard: the working sell may not take more than is held either.
    await db.pool.query(
      `UPDATE positions SET quantity = 2 WHERE account_id = $1 AND symbol = 'PB'`,
      [accountId],
    );
    quotes.set('PB', { price: '201', volume: null, at: 'd2' });
    const pass = await broker.match(accountId);
    expect(pass.cancelled[0]?.reason).toBe(
      'insufficient shares at fill time: selling 6 PB but the account holds 2; paper accounts cannot sell short',
    );
  });
});

describe('cancel', () => {
  it('cancels a working order with an audit entry; refuses a filled or unknown one', async () => {
    const { broker, accountId } = await setup();
    const limit = await createOrderRow(db.pool, accountId, {
      symbol: 'PB',
      side: 'buy',
      quantity: '1',
      type: 'limit',
      limitPrice: '50',
    });
    await broker.submit(limit);
    const cancelled = await broker.cancel(accountId, limit.clientOrderId);
    expect(cancelled).toMatchObject({
      status: 'cancelled',
      reason: 'cancelled on request',
      filledQuantity: '0',
    });
    expect(await auditOf(db.pool, limit.orderId)).toEqual(['order.cancelled']);
    expect(await broker.cancel(accountId, limit.clientOrderId)).toMatchObject({
      status: 'cancelled',
    });
    expect(await auditOf(db.pool, limit.orderId)).toEqual(['order.cancelled']);
    expect((await broker.match(accountId)).fills).toEqual([]);

    const market = await createOrderRow(db.pool, accountId, {
      symbol: 'PB',
      side: 'buy',
      quantity: '2',
    });
    await broker.submit(market);
    const filled = await rejection(broker.cancel(accountId, market.clientOrderId));
    expect(filled.code).toBe('already_filled');
    expect(filled.message).toBe(
      `order ${market.clientOrderId} is already filled (2 at 100.05); there is nothing left to cancel`,
    );
    const unsent = await createOrderRow(db.pool, accountId, {
      symbol: 'PB',
      side: 'buy',
      quantity: '2',
    });
    expect((await rejection(broker.cancel(accountId, unsent.clientOrderId))).code).toBe(
      'unknown_order',
    );
    expect((await rejection(broker.cancel('other-account', market.clientOrderId))).code).toBe(
      'unknown_order',
    );
  });
});

describe('account, positions and fills', () => {
  it('values positions at the latest quote, or at cost when there is none', async () => {
    const { broker, accountId, quotes } = await setup();
    quotes.set('PV', { price: '50', volume: null, at: 'd1' });
    await broker.submit(
      await createOrderRow(db.pool, accountId, { symbol: 'PB', side: 'buy', quantity: '10' }),
    );
    await broker.submit(
      await createOrderRow(db.pool, accountId, { symbol: 'PV', side: 'buy', quantity: '3' }),
    );
    quotes.set('PB', { price: '110.005', volume: null, at: 'd2' });
    quotes.delete('PV');
    expect(await broker.positions(accountId)).toEqual([
      { symbol: 'PB', quantity: '10', avgCost: '100.05', marketValue: '1100.05' },
      { symbol: 'PV', quantity: '3', avgCost: '50.025', marketValue: null },
    ]);
    // cash 100000 − 1000.50 − 150.08 (150.075 rounds to even); PV at cost 3 × 50.025 = 150.075 → 150.08
    expect(await broker.account(accountId)).toEqual({
      accountId,
      currency: 'USD',
      cash: '98849.42',
      equity: '100099.55',
      buyingPower: '98849.42',
    });
  });

  it('pages fills by cursor, only the account’s own, and refuses a cursor it did not give', async () => {
    const { broker, accountId } = await setup();
    const other = await createPaperAccount(db.pool, { cash: '1000' });
    await broker.submit(
      await createOrderRow(db.pool, other, { symbol: 'PB', side: 'buy', quantity: '1' }),
    );
    const empty = await broker.fillsSince(accountId);
    expect(empty).toEqual({ fills: [], cursor: '' });
    const requests: BrokerOrderRequest[] = [];
    for (let i = 1; i <= 3; i++) {
      const request = await createOrderRow(db.pool, accountId, {
        symbol: 'PB',
        side: 'buy',
        quantity: String(i),
      });
      requests.push(request);
      await broker.submit(request);
    }
    const all = await broker.fillsSince(accountId);
    expect(all.fills.map((f) => f.quantity)).toEqual(['1', '2', '3']);
    expect(all.fills[0]).toEqual({
      brokerFillId: `paper-${requests[0]?.orderId}@d1`,
      clientOrderId: requests[0]?.clientOrderId,
      brokerOrderId: `paper-${requests[0]?.orderId}`,
      symbol: 'PB',
      side: 'buy',
      quantity: '1',
      price: '100.05',
      commission: '0',
      filledAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/),
    });
    expect(all.cursor).toMatch(/^\d{4}-.*Z\|[0-9a-f-]{36}$/);
    expect(await broker.fillsSince(accountId, all.cursor)).toEqual({
      fills: [],
      cursor: all.cursor,
    });
    expect((await rejection(broker.fillsSince(accountId, 'page-2'))).code).toBe('bad_cursor');
  });

  it('an order orders/ has not sent yet is unknown to getOrder', async () => {
    const { broker, accountId } = await setup();
    const request = await createOrderRow(db.pool, accountId, {
      symbol: 'PB',
      side: 'buy',
      quantity: '1',
    });
    expect(await broker.getOrder(accountId, request.clientOrderId)).toBeNull();
  });
});

describe('the default quote feed and lock waits', () => {
  it('fills against the last daily bar: close, its volume, its date', async () => {
    await ensureInstrument(db.pool, 'DBQ');
    await db.pool.query(
      `INSERT INTO daily_bars (symbol, date, open, high, low, close, adj_close, volume) VALUES
         ('DBQ', '2026-03-09', 20, 21, 19, 20, 20, 5000),
         ('DBQ', '2026-03-10', 21, 23, 20, 22, 22, 300)`,
    );
    expect(await dailyBarQuotes(db.pool).latest('DBQ')).toEqual({
      price: '22',
      volume: '300',
      at: '2026-03-10',
    });
    expect(await dailyBarQuotes(db.pool).latest('NONE')).toBeNull();
    const broker = createPaperBroker({ pool: db.pool });
    const accountId = await createPaperAccount(db.pool, { cash: '10000' });
    const request = await createOrderRow(db.pool, accountId, {
      symbol: 'DBQ',
      side: 'buy',
      quantity: '50',
    });
    // 10 % of 300 shares; 22 × 1.0005 = 22.011
    expect(await broker.submit(request)).toMatchObject({
      status: 'partially_filled',
      filledQuantity: '30',
      avgFillPrice: '22.011',
    });
    expect((await fillsOf(db.pool, request.orderId))[0]?.broker_fill_id).toBe(
      `paper-${request.orderId}@2026-03-10`,
    );
  });

  it('a row another transaction holds makes submit fail as unavailable, not hang; the retry works', async () => {
    const quotes = memoryQuotes({ PB: { price: '100', volume: null, at: 'd1' } });
    const broker = createPaperBroker({ pool: db.pool, quotes, options: { lockTimeoutMs: 200 } });
    const accountId = await createPaperAccount(db.pool, { cash: '1000' });
    const request = await createOrderRow(db.pool, accountId, {
      symbol: 'PB',
      side: 'buy',
      quantity: '1',
    });
    const holder = await db.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM orders WHERE id = $1 FOR UPDATE', [request.orderId]);
      const started = Date.now();
      const blocked = broker.submit(request);
      await expect(blocked).rejects.toBeInstanceOf(BrokerUnavailableError);
      await expect(blocked).rejects.toThrow(
        /the database is not available now \(canceling statement due to lock timeout\)/,
      );
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    expect((await broker.submit(request)).status).toBe('filled');
  });

  it('refuses bad options at construction', () => {
    expect(() => createPaperBroker({ pool: db.pool, options: { maxVolumeShare: 2 } })).toThrow(
      RangeError,
    );
  });
});
