import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/database.js';
import { inTransaction } from '../db/pool.js';
import { auditBatcherFor, createAuditBatcher } from './audit-batcher.js';
import { appendAudit, appendAuditEntries, verifyAudit } from './audit-log.js';
import type { AuditInput } from './types.js';

const entry = (n: number, after: unknown = { n }): AuditInput => ({
  actorKind: 'principal',
  actorId: '6f1c2d4e-0000-4000-8000-000000000001',
  channel: 'mcp',
  action: 'tool.called',
  entityKind: 'tool',
  entityId: `tool-${n}`,
  after,
});

describe('batched audit entries', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('appendAuditEntries links entries in order, after what was there', async () => {
    await inTransaction(db.pool, (client) => appendAudit(client, entry(0)));
    const records = await inTransaction(db.pool, (client) =>
      appendAuditEntries(client, [entry(1), entry(2), entry(3)]),
    );
    expect(records.map((record) => record.seq)).toEqual(['2', '3', '4']);
    expect(records[1]?.prevHash).toBe(records[0]?.hash);
    expect(records[2]?.prevHash).toBe(records[1]?.hash);
    expect(records.map((record) => record.entityId)).toEqual(['tool-1', 'tool-2', 'tool-3']);
    expect(await verifyAudit(db.pool)).toMatchObject({ ok: true, entries: 4 });
    await expect(
      inTransaction(db.pool, (client) => appendAuditEntries(client, [])),
    ).resolves.toEqual([]);
  });

  it('commits 300 concurrent appends in a few transactions, every caller getting its own entry', async () => {
    const batcher = createAuditBatcher(db.pool, 100);
    const records = await Promise.all(
      Array.from({ length: 300 }, (_, k) => batcher.append(entry(1000 + k))),
    );
    // Every caller got the entry it asked for, and the entries are one unbroken chain.
    records.forEach((record, k) => {
      expect(record.entityId).toBe(`tool-${1000 + k}`);
    });
    const seqs = records.map((record) => Number(record.seq));
    expect(new Set(seqs).size).toBe(300);
    const { rows } = await db.pool.query<{ n: string }>(
      "SELECT count(*) AS n FROM audit_log WHERE entity_id LIKE 'tool-1%' AND length(entity_id) = 9",
    );
    expect(Number(rows[0]?.n)).toBe(300);
    expect(await verifyAudit(db.pool)).toMatchObject({ ok: true, entries: 304 });
    // The first entry goes alone; the 299 that queued behind it share batches of at most 100:
    // xmin, the inserting transaction, tells the batches apart.
    const transactions = await db.pool.query<{ n: string }>(
      "SELECT count(DISTINCT xmin::text) AS n FROM audit_log WHERE entity_id LIKE 'tool-1%' AND length(entity_id) = 9",
    );
    expect(Number(transactions.rows[0]?.n)).toBeGreaterThanOrEqual(4);
    expect(Number(transactions.rows[0]?.n)).toBeLessThanOrEqual(10);
  });

  it('writes the good entries of a batch that holds a bad one, and rejects only the bad one', async () => {
    const batcher = createAuditBatcher(db.pool);
    const results = await Promise.allSettled([
      batcher.append(entry(2001)),
      batcher.append(entry(2002)),
      batcher.append(entry(2003, { value: Number.NaN })),
      batcher.append(entry(2004)),
    ]);
    expect(results.map((result) => result.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect(String((results[2] as PromiseRejectedResult).reason)).toMatch(/NaN|JSON|number/i);
    expect(await verifyAudit(db.pool)).toMatchObject({ ok: true, entries: 307 });
  });

  it('shares one batcher per pool', () => {
    expect(auditBatcherFor(db.pool)).toBe(auditBatcherFor(db.pool));
  });
});
