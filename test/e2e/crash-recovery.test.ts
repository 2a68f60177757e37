/**
 * The process is killed between approval and submission: `countersign approve` has committed the
 * approval and the order row, and is inside the paper broker's submission when it gets SIGKILL
 * (a test trigger holds that statement). After a restart, reconciliation leaves exactly one order,
 * filled once.
 */
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../config/env.js';
import { silentLogger } from '../../config/logger.js';
import { createOrdersRuntime } from '../../orders/runtime.js';
import { verifyAudit } from '../../store/audit/audit-log.js';
import { MemoryBus } from '../../store/kv/memory-bus.js';
import { importPaths } from '../../store/market-data/import-paths.js';
import { startCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { SAMPLE_DIR } from '../helpers/fixtures.js';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  await importPaths(db.pool, [
    path.join(SAMPLE_DIR, 'KO.csv.gz'),
    path.join(SAMPLE_DIR, 'constituents.csv'),
  ]);
  // Holds the paper broker's "this order was received" update for the marked order (301 KO).
  await db.pool.query(`
    CREATE FUNCTION test_stall_submission() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.broker_order_id IS NOT NULL AND OLD.broker_order_id IS NULL AND NEW.quantity = 301 THEN
        PERFORM pg_sleep(60);
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER test_stall_submission BEFORE UPDATE ON orders
      FOR EACH ROW EXECUTE FUNCTION test_stall_submission();`);
});

afterAll(async () => {
  await db.drop();
});

async function until(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

it('killed between approval and submission: after restart exactly one order exists', async () => {
  const logger = silentLogger();
  const config = loadConfig({ DATABASE_URL: db.url });
  const first = createOrdersRuntime({ pool: db.pool, bus: new MemoryBus(logger), config, logger });
  const proposal = await first.orders.propose({
    accountId: 'paper',
    legs: [{ symbol: 'KO', side: 'buy', quantity: 301 }],
    proposer: { kind: 'agent', name: 'e2e' },
    channel: 'mcp',
  });
  await first.close();

  const approving = startCli(['approve', proposal.id], { DATABASE_URL: db.url });
  // The approval is committed and the broker's submission is being written when the process dies.
  await until(async () => {
    const { rows } = await db.pool.query(
      "SELECT 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = current_database()",
    );
    return rows.length > 0;
  });
  const { rows: before } = await db.pool.query<{ status: string }>(
    'SELECT status FROM orders WHERE proposal_id = $1',
    [proposal.id],
  );
  expect(before.map((r) => r.status)).toEqual(['submitting']);
  expect(
    (await db.pool.query('SELECT status FROM proposals WHERE id = $1', [proposal.id])).rows[0]
      ?.status,
  ).toBe('submitted');
  approving.child.kill('SIGKILL');
  expect(await approving.exited).toBeNull();
  // Its database session dies with it (the server would notice at its next read; here, at once).
  await db.pool.query(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = current_database()",
  );
  await db.pool.query('DROP TRIGGER test_stall_submission ON orders');

  // The restart: a new process reconciles what was approved but never confirmed by the broker.
  const restarted = createOrdersRuntime({
    pool: db.pool,
    bus: new MemoryBus(logger),
    config,
    logger,
  });
  try {
    expect(await restarted.orders.reconcile()).toMatchObject({ checked: 1, sent: 1 });
    expect(await restarted.orders.reconcile()).toMatchObject({ checked: 0 });
  } finally {
    await restarted.close();
  }
  const { rows: orders } = await db.pool.query<{
    id: string;
    status: string;
    filled_quantity: string;
  }>('SELECT id, status, filled_quantity::text FROM orders WHERE proposal_id = $1', [proposal.id]);
  expect(orders).toHaveLength(1);
  expect(orders[0]).toMatchObject({ status: 'filled', filled_quantity: '301' });
  const { rows: fills } = await db.pool.query(
    'SELECT quantity::text FROM fills WHERE order_id = $1',
    [orders[0]?.id],
  );
  expect(fills.map((f) => f.quantity)).toEqual(['301']);
  expect((await verifyAudit(db.pool)).ok).toBe(true);
}, 90_000);
