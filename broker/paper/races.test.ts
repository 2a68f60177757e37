/**
 * The paper broker under concurrency and failure, on a real PostgreSQL: parallel submits of one
 * order from separate pools make one broker order and one fill; parallel submits competing for
 * one account's cash never overspend it; parallel matching passes never fill an order twice from
 * one quote; a fill whose transaction dies midway leaves nothing behind, and no reader ever sees
 * half a fill.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../../store/db/pool.js';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/database.js';
import { BrokerRejectedError } from '../port.js';
import { createPaperBroker, PaperMatchError } from './paper-broker.js';
import { memoryQuotes } from './quotes.js';
import {
  auditOf,
  cashIn,
  createOrderRow,
  createPaperAccount,
  fillsOf,
  ledgerOf,
  positionOf,
  readOrder,
} from './test-orders.js';

let db: TestDatabase;
let second: Pool;
beforeAll(async () => {
  db = await createTestDatabase();
  second = createPool(db.url, { max: 5 });
});
afterAll(async () => {
  await second?.end();
  await db?.drop();
});
afterEach(async () => {
  await db.pool.query('DROP TRIGGER IF EXISTS fail_midway ON audit_log');
  await db.pool.query('DROP TRIGGER IF EXISTS fail_midway ON positions');
  await db.pool.query('DROP TRIGGER IF EXISTS slow_audit ON audit_log');
});

/** Two brokers on two pools (separate connections), one quote feed. */
function brokers() {
  const quotes = memoryQuotes({ RC: { price: '100', volume: null, at: 'd1' } });
  return {
    quotes,
    a: createPaperBroker({ pool: db.pool, quotes }),
    b: createPaperBroker({ pool: second, quotes }),
  };
}

describe('races', () => {
  it('the same order submitted ten times at once from two pools makes one broker order and one fill', async () => {
    const { a, b } = brokers();
    const accountId = await createPaperAccount(db.pool, { cash: '100000' });
    const request = await createOrderRow(db.pool, accountId, {
      symbol: 'RC',
      side: 'buy',
      quantity: '10',
    });
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).submit(request)),
    );
    expect(new Set(answers.map((x) => x.brokerOrderId))).toEqual(
      new Set([`paper-${request.orderId}`]),
    );
    expect(answers.every((x) => x.status === 'filled' && x.filledQuantity === '10')).toBe(true);
    expect(await fillsOf(db.pool, request.orderId)).toHaveLength(1);
    expect(await ledgerOf(db.pool, accountId)).toHaveLength(1);
    expect(await auditOf(db.pool, request.orderId)).toEqual(['order.filled']);
    expect(await positionOf(db.pool, accountId, 'RC')).toMatchObject({ quantity: '10' });
  });

  it('orders competing for the same cash at once: exactly those it covers are accepted', async () => {
    const { a, b } = brokers();
    const accountId = await createPaperAccount(db.pool, { cash: '1000' });
    const requests = await Promise.all(
      Array.from({ length: 6 }, () =>
        createOrderRow(db.pool, accountId, { symbol: 'RC', side: 'buy', quantity: '3' }),
      ),
    );
    // Each costs 3 × 100.05 = 300.15: three fit in 1000, a fourth does not.
    const outcomes = await Promise.allSettled(requests.map((r, i) => (i % 2 ? a : b).submit(r)));
    const accepted = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect(accepted).toHaveLength(3);
    expect(refused).toHaveLength(3);
    for (const o of refused) {
      expect((o as PromiseRejectedResult).reason).toBeInstanceOf(BrokerRejectedError);
      // Submits of one account queue on its row lock: each refusal saw the three fills before it.
      expect((o as PromiseRejectedResult).reason.message).toMatch(
        /^insufficient cash: .* has 99\.55 cash;/,
      );
    }
    expect(await cashIn(db.pool, accountId)).toBe('99.55');
  });

  it('matching passes run at once from two pools never fill an order twice from one quote', async () => {
    const { quotes, a, b } = brokers();
    const accountId = await createPaperAccount(db.pool, { cash: '1000000' });
    const requests = await Promise.all(
      Array.from({ length: 5 }, () =>
        createOrderRow(db.pool, accountId, {
          symbol: 'RC',
          side: 'buy',
          quantity: '250',
          type: 'limit',
          limitPrice: '90',
        }),
      ),
    );
    for (const request of requests) expect((await a.submit(request)).status).toBe('accepted');
    quotes.set('RC', { price: '89', volume: '1000', at: 'd2' });
    const passes = await Promise.all(
      Array.from({ length: 8 }, (_, i) => ((i % 2 ? a : b) as typeof a).match(accountId)),
    );
    expect(passes.flatMap((p) => p.fills)).toHaveLength(5);
    for (const request of requests) {
      expect(await readOrder(db.pool, request.orderId)).toMatchObject({
        status: 'partially_filled',
        filled_quantity: '100',
      });
      expect(await auditOf(db.pool, request.orderId)).toEqual(['order.partially_filled']);
    }
    quotes.set('RC', { price: '89', volume: '1000', at: 'd3' });
    await Promise.all([a.match(accountId), b.match(accountId), a.match()]);
    for (const request of requests)
      expect((await readOrder(db.pool, request.orderId))?.filled_quantity).toBe('200');
  });
});

describe('one fill, one transaction', () => {
  for (const table of ['audit_log', 'positions'] as const) {
    it(`a failure while writing ${table} leaves no fill, no cash line, no position, no order change`, async () => {
      const { quotes, a } = brokers();
      const accountId = await createPaperAccount(db.pool, { cash: '100000' });
      await db.pool.query(`
        CREATE OR REPLACE FUNCTION fail_midway() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'killed midway for the test'; END $$`);
      // Submit: the acceptance and the immediate fill share one transaction, so both roll back.
      await db.pool.query(
        `CREATE TRIGGER fail_midway BEFORE INSERT OR UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION fail_midway()`,
      );
      const market = await createOrderRow(db.pool, accountId, {
        symbol: 'RC',
        side: 'buy',
        quantity: '10',
      });
      await expect(a.submit(market)).rejects.toThrow('killed midway for the test');
      expect(await readOrder(db.pool, market.orderId)).toMatchObject({
        status: 'submitting',
        broker_order_id: null,
      });
      expect(await fillsOf(db.pool, market.orderId)).toEqual([]);
      expect(await ledgerOf(db.pool, accountId)).toEqual([]);
      expect(await positionOf(db.pool, accountId, 'RC')).toBeUndefined();
      expect(await auditOf(db.pool, market.orderId)).toEqual([]);
      await db.pool.query(`DROP TRIGGER fail_midway ON ${table}`);

      // Match: a working order whose fill dies midway is untouched, and the next pass fills it.
      const limit = await createOrderRow(db.pool, accountId, {
        symbol: 'RC',
        side: 'buy',
        quantity: '5',
        type: 'limit',
        limitPrice: '90',
      });
      expect((await a.submit(limit)).status).toBe('accepted');
      await db.pool.query(
        `CREATE TRIGGER fail_midway BEFORE INSERT OR UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION fail_midway()`,
      );
      quotes.set('RC', { price: '80', volume: null, at: 'd2' });
      const failed = await a.match(accountId).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failed).toBeInstanceOf(PaperMatchError);
      expect((failed as PaperMatchError).message).toContain(
        `${limit.orderId}: killed midway for the test`,
      );
      expect(await readOrder(db.pool, limit.orderId)).toMatchObject({
        status: 'submitted',
        filled_quantity: '0',
      });
      expect(await fillsOf(db.pool, limit.orderId)).toEqual([]);
      expect(await ledgerOf(db.pool, accountId)).toEqual([]);
      expect(await positionOf(db.pool, accountId, 'RC')).toBeUndefined();
      await db.pool.query(`DROP TRIGGER fail_midway ON ${table}`);

      expect((await a.match(accountId)).fills).toHaveLength(1);
      expect(await readOrder(db.pool, limit.orderId)).toMatchObject({
        status: 'filled',
        filled_quantity: '5',
      });
      expect(await cashIn(db.pool, accountId)).toBe('99599.80');
    });
  }

  it('a reader never sees part of a fill while it is being written', async () => {
    const { a } = brokers();
    const accountId = await createPaperAccount(db.pool, { cash: '100000' });
    // The audit entry is written last; slowing it down holds the fill transaction open.
    await db.pool.query(`
      CREATE OR REPLACE FUNCTION slow_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_sleep(0.4); RETURN NEW; END $$`);
    await db.pool.query(
      'CREATE TRIGGER slow_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION slow_audit()',
    );
    const request = await createOrderRow(db.pool, accountId, {
      symbol: 'RC',
      side: 'buy',
      quantity: '10',
    });
    const submitting = a.submit(request);
    const seen = new Set<string>();
    let done = false;
    void submitting.finally(() => {
      done = true;
    });
    while (!done) {
      // One statement, one snapshot: the order row, its fills, its cash lines and the position.
      const { rows } = await second.query<{ snapshot: string }>(
        `SELECT concat_ws('/',
            (SELECT status FROM orders WHERE id = $1),
            (SELECT count(*) FROM fills WHERE order_id = $1),
            (SELECT count(*) FROM cash_ledger WHERE account_id = $2 AND kind = 'trade'),
            (SELECT coalesce(quantity::text, 'none') FROM positions WHERE account_id = $2 AND symbol = 'RC')
          ) AS snapshot`,
        [request.orderId, accountId],
      );
      seen.add(rows[0]?.snapshot ?? '');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await submitting;
    const { rows } = await second.query<{ snapshot: string }>(
      `SELECT concat_ws('/', (SELECT status FROM orders WHERE id = $1), (SELECT count(*) FROM fills WHERE order_id = $1),
              (SELECT count(*) FROM cash_ledger WHERE account_id = $2 AND kind = 'trade'),
              (SELECT quantity::text FROM positions WHERE account_id = $2 AND symbol = 'RC')) AS snapshot`,
      [request.orderId, accountId],
    );
    seen.add(rows[0]?.snapshot ?? '');
    // concat_ws skips the NULL position: before the fill there is no positions row at all.
    expect([...seen].sort()).toEqual(['filled/1/1/10', 'submitting/0/0']);
  });
});
