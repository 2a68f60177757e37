import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../core/canonical-json.js';
import { Dec } from '../../core/decimal.js';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/database.js';
import { createPool, inTransaction, type Pool } from '../db/pool.js';
import {
  type AuditHashedFields,
  appendAudit,
  auditContent,
  auditHash,
  GENESIS_HASH,
  verifyAudit,
} from './audit-log.js';
import type { AuditInput } from './types.js';

const entry = (n: number, overrides: Partial<AuditInput> = {}): AuditInput => ({
  actorKind: 'principal',
  actorId: '6f1c2d4e-0000-4000-8000-000000000001',
  channel: 'slack',
  action: 'proposal.approved',
  entityKind: 'proposal',
  entityId: `p-${n}`,
  before: { status: 'pending' },
  after: { status: 'approved', n },
  ...overrides,
});

const append = (pool: Pool, input: AuditInput) =>
  inTransaction(pool, (client) => appendAudit(client, input));

/** Runs SQL the append-only triggers would refuse, as the table's owner can. */
async function tamper(pool: Pool, sql: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('ALTER TABLE audit_log DISABLE TRIGGER USER');
    await client.query(sql);
  } finally {
    await client.query('ALTER TABLE audit_log ENABLE TRIGGER USER');
    client.release();
  }
}

describe('auditContent', () => {
  it('is canonicalJson of the entry with snake_case keys and seq as a number', () => {
    const fields: AuditHashedFields = {
      seq: '42',
      at: '2026-11-21T10:00:00.123Z',
      actorKind: 'agent',
      actorId: null,
      channel: 'mcp',
      action: 'proposal.created',
      entityKind: 'proposal',
      entityId: 'x "quoted"',
      before: null,
      after: { z: [1, 'two'], a: { y: true, b: null } },
    };
    expect(auditContent(fields)).toBe(
      canonicalJson({
        seq: 42,
        at: fields.at,
        actor_kind: fields.actorKind,
        actor_id: fields.actorId,
        channel: fields.channel,
        action: fields.action,
        entity_kind: fields.entityKind,
        entity_id: fields.entityId,
        before: fields.before,
        after: fields.after,
      }),
    );
  });
});

describe('the audit log', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('verifies an empty log', async () => {
    expect(await verifyAudit(db.pool)).toEqual({ ok: true, entries: 0 });
  });

  it('chains entries: seq from 1, prev_hash from 64 zeros, each hash over prev_hash and the entry', async () => {
    const records = [];
    for (let n = 1; n <= 5; n++) records.push(await append(db.pool, entry(n)));
    expect(records.map((record) => record.seq)).toEqual(['1', '2', '3', '4', '5']);
    expect(records[0]?.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < records.length; i++)
      expect(records[i]?.prevHash).toBe(records[i - 1]?.hash);
    const third = records[2];
    if (!third) throw new Error('no third record');
    expect(third.hash).toBe(auditHash(third.prevHash, third));
    expect(third.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const { rows } = await db.pool.query('SELECT * FROM audit_log WHERE seq = 3');
    expect(rows[0]).toMatchObject({
      actor_kind: 'principal',
      channel: 'slack',
      action: 'proposal.approved',
      entity_id: 'p-3',
      before: { status: 'pending' },
      after: { status: 'approved', n: 3 },
      prev_hash: records[1]?.hash,
      hash: third.hash,
    });
    expect((rows[0].at as Date).toISOString()).toBe(third.at);

    const result = await verifyAudit(db.pool);
    expect(result).toEqual({
      ok: true,
      entries: 5,
      first: { seq: '1', at: records[0]?.at, hash: records[0]?.hash },
      last: { seq: '5', at: records[4]?.at, hash: records[4]?.hash },
    });
  });

  it('stores and re-verifies what jsonb gives back: dates, decimals, strings, arrays, nulls', async () => {
    await append(
      db.pool,
      entry(6, {
        actorKind: 'system',
        actorId: null,
        before: undefined,
        after: { at: new Date(0), price: new Dec('101.50'), gone: undefined, list: [1.5, null] },
      }),
    );
    const record = await append(db.pool, entry(7, { before: 'a string', after: [3, 'x'] }));
    expect(record.before).toBe('a string');
    await append(db.pool, entry(8, { before: null, after: 1e21 }));
    expect(await verifyAudit(db.pool)).toMatchObject({ ok: true, entries: 8 });
  });

  it('refuses values JSON cannot hold, and a client outside a transaction', async () => {
    await expect(append(db.pool, entry(9, { after: { x: Number.NaN } }))).rejects.toThrow(
      /NaN at \.x/,
    );
    const client = await db.pool.connect();
    try {
      await expect(appendAudit(client, entry(9))).rejects.toThrow(/needs a transaction/);
    } finally {
      client.release();
    }
  });

  it('leaves no hole when the recording transaction rolls back', async () => {
    await expect(
      inTransaction(db.pool, async (client) => {
        await appendAudit(client, entry(9));
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    const record = await append(db.pool, entry(10));
    expect(record.seq).toBe('9');
    expect(await verifyAudit(db.pool)).toMatchObject({ ok: true, entries: 9 });
  });

  it('keeps one linear chain under 20 concurrent appends from separate connections', async () => {
    const pool = createPool(db.url, { max: 20 });
    try {
      const records = await Promise.all(
        Array.from({ length: 20 }, (_, i) => append(pool, entry(100 + i))),
      );
      const seqs = records.map((record) => Number(record.seq)).sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => 10 + i));
    } finally {
      await pool.end();
    }
    const { rows } = await db.pool.query<{ seq: string; prev_hash: string; hash: string }>(
      'SELECT seq, prev_hash, hash FROM audit_log ORDER BY seq',
    );
    expect(rows).toHaveLength(29);
    for (let i = 1; i < rows.length; i++) expect(rows[i]?.prev_hash).toBe(rows[i - 1]?.hash);
    expect(await verifyAudit(db.pool)).toMatchObject({ ok: true, entries: 29 });
  });

  it('reports progress, ending with the whole count', async () => {
    const seen: { verified: number; total: number }[] = [];
    const result = await verifyAudit(db.pool, { onProgress: (progress) => seen.push(progress) });
    expect(result).toMatchObject({ ok: true, entries: 29, last: { seq: '29' } });
    expect(seen.at(-1)).toEqual({ verified: 29, total: 29 });
  });

  it('verifies text that COPY escapes: tabs, newlines, backslashes, quotes, non-ASCII', async () => {
    const odd = 'tab\there\nnew line \\ back\\slash "quoted" é 😀 \\N';
    await append(
      db.pool,
      entry(200, {
        actorId: odd,
        entityId: odd,
        channel: 'web',
        after: { [odd]: odd, list: [odd] },
      }),
    );
    // A text that is exactly backslash-N must not be read back as NULL.
    await append(db.pool, entry(201, { actorId: '\\N', before: '\\N' }));
    expect(await verifyAudit(db.pool)).toMatchObject({ ok: true, entries: 31 });
  });

  it('refuses UPDATE and DELETE through its triggers', async () => {
    await expect(
      db.pool.query("UPDATE audit_log SET channel = 'web' WHERE seq = 1"),
    ).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(db.pool.query('DELETE FROM audit_log WHERE seq = 1')).rejects.toThrow(
      /append-only: DELETE refused/,
    );
  });
});

describe('tampering', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  /** A fresh log of five entries (the triggers are off only inside `tamper`). */
  async function fiveEntries(): Promise<void> {
    await tamper(db.pool, 'TRUNCATE audit_log');
    for (let n = 1; n <= 5; n++) await append(db.pool, entry(n));
  }

  it('an edited `after` breaks that entry’s hash', async () => {
    await fiveEntries();
    await tamper(
      db.pool,
      `UPDATE audit_log SET after = '{"status": "approved", "n": 999}' WHERE seq = 3`,
    );
    const result = await verifyAudit(db.pool);
    expect(result).toMatchObject({
      ok: false,
      entries: 2,
      brokenAt: { seq: '3', reason: 'hash_mismatch' },
    });
    if (!result.ok) expect(result.brokenAt.message).toMatch(/^hash mismatch: entry 3 /);
  });

  it('an edit that also rewrites the hash breaks the link to the next entry', async () => {
    await fiveEntries();
    await tamper(
      db.pool,
      `UPDATE audit_log SET actor_id = 'someone-else', hash = repeat('a', 64) WHERE seq = 3`,
    );
    expect(await verifyAudit(db.pool)).toMatchObject({
      ok: false,
      brokenAt: { seq: '3', reason: 'hash_mismatch' },
    });
  });

  it('a time moved by one microsecond breaks the hash', async () => {
    await fiveEntries();
    await tamper(db.pool, `UPDATE audit_log SET at = at + interval '1 microsecond' WHERE seq = 2`);
    expect(await verifyAudit(db.pool)).toMatchObject({
      ok: false,
      entries: 1,
      brokenAt: { seq: '2', reason: 'hash_mismatch' },
    });
  });

  it('a deleted entry is a gap', async () => {
    await fiveEntries();
    await tamper(db.pool, 'DELETE FROM audit_log WHERE seq = 3');
    const result = await verifyAudit(db.pool);
    expect(result).toEqual({
      ok: false,
      entries: 2,
      brokenAt: {
        seq: '4',
        reason: 'gap',
        message: 'gap: seq jumps from 2 to 4; entry 3 is missing',
      },
    });
  });

  it('a deleted first entry is a gap at the start', async () => {
    await fiveEntries();
    await tamper(db.pool, 'DELETE FROM audit_log WHERE seq <= 2');
    expect(await verifyAudit(db.pool)).toEqual({
      ok: false,
      entries: 0,
      brokenAt: {
        seq: '3',
        reason: 'gap',
        message: 'gap: the log starts at seq 3; entries 1–2 are missing',
      },
    });
  });

  it('a deleted entry with the later seqs renumbered breaks the prev_hash link', async () => {
    await fiveEntries();
    // seq is an identity column (UPDATE cannot set it), so the later entries are re-inserted.
    await tamper(
      db.pool,
      `CREATE TEMP TABLE later AS SELECT * FROM audit_log WHERE seq > 3;
       DELETE FROM audit_log WHERE seq >= 3;
       INSERT INTO audit_log OVERRIDING SYSTEM VALUE
         SELECT seq - 1, at, actor_kind, actor_id, channel, action, entity_kind, entity_id,
                before, after, prev_hash, hash FROM later;
       DROP TABLE later;`,
    );
    const result = await verifyAudit(db.pool);
    expect(result).toMatchObject({
      ok: false,
      entries: 2,
      brokenAt: { seq: '3', reason: 'prev_hash_mismatch' },
    });
    if (!result.ok)
      expect(result.brokenAt.message).toMatch(
        /^prev_hash does not match the previous entry's hash: entry 2 hashes to [0-9a-f]{12}…, entry 3 names [0-9a-f]{12}…$/,
      );
  });

  it('an entry appended with a wrong prev_hash (and a hash of its own that fits it)', async () => {
    await fiveEntries();
    const fields: AuditHashedFields = {
      seq: '6',
      at: new Date().toISOString(),
      actorKind: 'agent',
      actorId: 'intruder',
      channel: 'mcp',
      action: 'approval.recorded',
      entityKind: 'proposal',
      entityId: 'p-6',
      before: null,
      after: { decision: 'approve' },
    };
    const wrongPrev = 'b'.repeat(64);
    await db.pool.query(
      `INSERT INTO audit_log (seq, at, actor_kind, actor_id, channel, action, entity_kind,
                              entity_id, before, after, prev_hash, hash)
         OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9, $10, $11)`,
      [
        fields.seq,
        fields.at,
        fields.actorKind,
        fields.actorId,
        fields.channel,
        fields.action,
        fields.entityKind,
        fields.entityId,
        JSON.stringify(fields.after),
        wrongPrev,
        auditHash(wrongPrev, fields),
      ],
    );
    expect(await verifyAudit(db.pool)).toMatchObject({
      ok: false,
      entries: 5,
      brokenAt: { seq: '6', reason: 'prev_hash_mismatch' },
    });
  });

  it('a forged first entry whose prev_hash is not 64 zeros', async () => {
    await tamper(db.pool, 'TRUNCATE audit_log');
    await append(db.pool, entry(1));
    await tamper(db.pool, `UPDATE audit_log SET prev_hash = repeat('c', 64) WHERE seq = 1`);
    const result = await verifyAudit(db.pool);
    expect(result).toMatchObject({
      ok: false,
      entries: 0,
      brokenAt: { seq: '1', reason: 'prev_hash_mismatch' },
    });
    if (!result.ok) expect(result.brokenAt.message).toContain('must name 64 zeros');
  });
});
