import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/logger.js';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/database.js';
import { MIGRATIONS_DIR, migrate } from './migrate.js';
import { createPool } from './pool.js';

// Every migration in the folder, in the order node-pg-migrate applies them.
const MIGRATIONS = readdirSync(MIGRATIONS_DIR)
  .filter((file) => file.endsWith('.sql'))
  .map((file) => file.replace(/\.sql$/, ''))
  .sort();

const TABLES = [
  'accounts',
  'alert_deliveries',
  'alert_events',
  'alerts',
  'approvals',
  'audit_log',
  'backtests',
  'bot_updates',
  'cash_ledger',
  'conversations',
  'daily_bars',
  'fills',
  'identities',
  'imported_trades',
  'instruments',
  'link_codes',
  'messages',
  'models',
  'notes',
  'optimizations',
  'orders',
  'pgmigrations',
  'positions',
  'principals',
  'proposal_legs',
  'proposal_messages',
  'proposals',
  'quiet_hours',
  'rag_chunks',
  'rag_documents',
  'role_grants',
];

describe('migrate', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterAll(() => db.drop());

  it('creates every table on an empty database, then does nothing when run again', async () => {
    const first = await migrate(db.pool, silentLogger());
    expect(first).toEqual(MIGRATIONS);
    const { rows } = await db.pool.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    );
    expect(rows.map((row) => row.table_name)).toEqual(TABLES);
    expect(await migrate(db.pool, silentLogger())).toEqual([]);
  });

  it('is safe when several processes start at once: one migrates, the others wait and find nothing to do', async () => {
    const fresh = await createTestDatabase({ migrated: false });
    const pools = [0, 1, 2].map(() => createPool(fresh.url, { max: 1 }));
    try {
      const results = await Promise.all(pools.map((pool) => migrate(pool, silentLogger())));
      expect(results.flat()).toEqual(MIGRATIONS);
      const { rows } = await fresh.pool.query('SELECT name FROM pgmigrations');
      expect(rows).toHaveLength(MIGRATIONS.length);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
      await fresh.drop();
    }
  });

  it('indexes daily bars by date with BRIN and keys them by symbol and date', async () => {
    const { rows } = await db.pool.query<{ indexdef: string }>(
      "SELECT indexdef FROM pg_indexes WHERE tablename = 'daily_bars' ORDER BY indexname",
    );
    const definitions = rows.map((row) => row.indexdef).join('\n');
    expect(definitions).toContain('USING brin (date)');
    expect(definitions).toContain(
      'UNIQUE INDEX daily_bars_pkey ON public.daily_bars USING btree (symbol, date)',
    );
  });

  it('keeps money columns exact: prices, quantities and cash are NUMERIC', async () => {
    const { rows } = await db.pool.query<{ column: string; data_type: string }>(
      `SELECT table_name || '.' || column_name AS column, data_type FROM information_schema.columns
        WHERE (table_name, column_name) IN (('daily_bars','close'), ('daily_bars','adj_close'),
          ('proposal_legs','quantity'), ('proposal_legs','limit_price'), ('fills','price'),
          ('fills','commission'), ('cash_ledger','amount'), ('positions','quantity'), ('positions','avg_cost'))`,
    );
    expect(rows).toHaveLength(9);
    for (const row of rows) expect(row.data_type, row.column).toBe('numeric');
  });

  it('makes the audit log append-only and its hash chain unforkable', async () => {
    const zero = '0'.repeat(64);
    const hash = (n: number) => n.toString(16).padStart(64, 'a');
    const insert = (prev: string, next: string) =>
      db.pool.query(
        `INSERT INTO audit_log (actor_kind, channel, action, entity_kind, entity_id, prev_hash, hash)
         VALUES ('system', 'system', 'test.entry', 'test', '1', $1, $2)`,
        [prev, next],
      );
    await insert(zero, hash(1));
    await expect(insert(zero, hash(2))).rejects.toThrow(/duplicate key.*prev_hash/);
    await expect(db.pool.query("UPDATE audit_log SET channel = 'cli'")).rejects.toThrow(
      /append-only: UPDATE refused/,
    );
    await expect(db.pool.query('DELETE FROM audit_log')).rejects.toThrow(
      /append-only: DELETE refused/,
    );
    await expect(db.pool.query('TRUNCATE audit_log')).rejects.toThrow(
      /append-only: TRUNCATE refused/,
    );
    const { rows } = await db.pool.query('SELECT hash FROM audit_log');
    expect(rows).toEqual([{ hash: hash(1) }]);
  });

  it('refuses bars that break price sanity even when written around the importer', async () => {
    await db.pool.query("INSERT INTO instruments (symbol) VALUES ('TEST')");
    const bar = (high: string, low: string, close: string) =>
      db.pool.query(
        `INSERT INTO daily_bars (symbol, date, open, high, low, close, adj_close, volume)
         VALUES ('TEST', '2020-01-02', $3, $1, $2, $3, $3, 100)`,
        [high, low, close],
      );
    await expect(bar('9', '10', '9.5')).rejects.toThrow(/violates check constraint "daily_bars_/);
    await expect(bar('11', '10', '12')).rejects.toThrow(/daily_bars_close_in_range/);
    await expect(bar('11', '10', '-1')).rejects.toThrow(
      /daily_bars_prices_positive|daily_bars_close_in_range/,
    );
    await bar('11', '10', '10.5');
    const { rows } = await db.pool.query(
      "SELECT close, date FROM daily_bars WHERE symbol = 'TEST'",
    );
    expect(rows).toEqual([{ close: '10.5', date: '2020-01-02' }]);
  });

  it('seeds the default paper account that tools fall back to', async () => {
    const { rows } = await db.pool.query(
      "SELECT id, kind, broker, base_currency FROM accounts WHERE id = 'paper'",
    );
    expect(rows).toEqual([{ id: 'paper', kind: 'paper', broker: 'paper', base_currency: 'USD' }]);
  });
});
