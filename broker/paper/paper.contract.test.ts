/** The broker contract against the paper broker on a real PostgreSQL (a database of this file's own). */
import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/database.js';
import { describeBrokerContract } from '../broker-contract.js';
import { createPaperBroker } from './paper-broker.js';
import { memoryQuotes } from './quotes.js';
import { createOrderRow, createPaperAccount } from './test-orders.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

describeBrokerContract('paper', async () => {
  const symbol = 'CTR';
  const price = '100';
  const quotes = memoryQuotes({ [symbol]: { price, volume: null, at: '2026-03-09' } });
  const broker = createPaperBroker({ pool: db.pool, quotes });
  const accountId = await createPaperAccount(db.pool, { cash: '100000' });
  return {
    broker,
    accountId,
    symbol,
    price,
    // 1000 × 100.05 = 100,050 > 100,000 cash.
    unaffordableQuantity: '1000',
    newOrder: (spec) => createOrderRow(db.pool, accountId, { symbol, ...spec }),
    async completeFill() {
      await broker.match(accountId);
    },
    async submissionsReceived() {
      const { rows } = await db.pool.query<{ n: string }>(
        'SELECT count(*)::text AS n FROM orders WHERE account_id = $1 AND broker_order_id IS NOT NULL',
        [accountId],
      );
      return Number(rows[0]?.n);
    },
    close: () => broker.close(),
  };
});
