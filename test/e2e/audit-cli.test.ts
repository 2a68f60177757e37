/** `countersign audit verify` as a user runs it, against a database of its own (DATABASE_URL). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit } from '../../store/audit/audit-log.js';
import { inTransaction } from '../../store/db/pool.js';
import { runCli, withoutNotices } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

describe('countersign audit verify', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  const verify = (...args: string[]) =>
    runCli(['audit', 'verify', ...args], { DATABASE_URL: db.url });

  it('an empty log is intact', async () => {
    const run = await verify();
    expect(withoutNotices(run.stderr)).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('audit log intact: 0 entries (the log is empty).\n');
  });

  it('exit 0 with the count and both ends of the chain; --json gives the same', async () => {
    for (let n = 1; n <= 3; n++)
      await inTransaction(db.pool, (client) =>
        appendAudit(client, {
          actorKind: 'principal',
          actorId: 'someone',
          channel: 'cli',
          action: 'proposal.approved',
          entityKind: 'proposal',
          entityId: `p-${n}`,
          after: { status: 'approved' },
        }),
      );
    const run = await verify();
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^audit log intact: 3 entries, chain from seq 1 \(\d{4}-\d\d-\d\dT[\d:.]+Z\) to seq 3 \([\dT:.Z-]+\); last hash [0-9a-f]{64}\n$/,
    );

    const json = await verify('--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: true,
      entries: 3,
      first: { seq: '1' },
      last: { seq: '3', hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
      elapsed_ms: expect.any(Number),
    });
  });

  it('exit 1 naming the first broken link when an entry was changed', async () => {
    const client = await db.pool.connect();
    try {
      await client.query('ALTER TABLE audit_log DISABLE TRIGGER USER');
      await client.query(`UPDATE audit_log SET after = '{"status": "rejected"}' WHERE seq = 2`);
    } finally {
      await client.query('ALTER TABLE audit_log ENABLE TRIGGER USER');
      client.release();
    }
    const run = await verify();
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /^audit log BROKEN at seq 2: hash mismatch: entry 2 does not hash to its recorded hash [0-9a-f]{12}… \(its content was changed after it was written\)\.\nThe 1 entry before it verify/,
    );

    const json = await verify('--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      entries: 1,
      broken_at: { seq: '2', reason: 'hash_mismatch' },
    });
  });
});
