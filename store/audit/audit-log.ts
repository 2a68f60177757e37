/** The audit log: appending hash-chained entries inside the caller's transaction, and verifying the chain. */
import * as crypto from 'node:crypto';
import { to as copyTo } from 'pg-copy-streams';
import { canonicalJson } from '../../core/canonical-json.js';
import type { Pool, PoolClient } from '../db/pool.js';
import type { AuditInput, AuditRecord } from './types.js';

/** The prev_hash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * The advisory lock every appender takes ("CSAUDIT1" as a big-endian 64-bit integer). It is held
 * until the appending transaction ends, so entries get their seq and prev_hash strictly one
 * after another, and a rolled-back transaction leaves no hole.
 */
export const AUDIT_LOCK_KEY = '4851293058081838129';

/** The fields an entry's hash covers, as stored. `before`/`after` are null for SQL NULL. */
export interface AuditHashedFields {
  seq: string;
  /** ISO 8601 UTC with milliseconds, as Date.prototype.toISOString writes it. */
  at: string;
  actorKind: string;
  actorId: string | null;
  channel: string;
  action: string;
  entityKind: string;
  entityId: string;
  before: unknown;
  after: unknown;
}

const str = (value: string | null) => (value === null ? 'null' : JSON.stringify(value));

/**
 * The canonical JSON of an entry, i.e. canonicalJson of
 * `{action, actor_id, actor_kind, after, at, before, channel, entity_id, entity_kind, seq}` (seq
 * as a JSON number). Written out by hand because the keys are fixed and verification runs it a
 * million times; a test holds it equal to canonicalJson of that object.
 */
export function auditContent(entry: AuditHashedFields): string {
  if (!/^[1-9]\d{0,17}$/.test(entry.seq)) throw new Error(`audit seq ${entry.seq} is not valid`);
  return (
    `{"action":${str(entry.action)},"actor_id":${str(entry.actorId)},` +
    `"actor_kind":${str(entry.actorKind)},"after":${canonicalJson(entry.after)},` +
    `"at":${str(entry.at)},"before":${canonicalJson(entry.before)},` +
    `"channel":${str(entry.channel)},"entity_id":${str(entry.entityId)},` +
    `"entity_kind":${str(entry.entityKind)},"seq":${entry.seq}}`
  );
}

// crypto.hash (Node ≥ 20.12) hashes in one call, about three times faster than a Hash object for
// inputs this small; verification spends a good part of its time here.
const sha256hex: (text: string) => string =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'hex')
    : (text) => crypto.createHash('sha256').update(text).digest('hex');

/** hash = SHA-256 hex of (prev_hash ‖ canonical entry), the text as UTF-8. */
export function auditHash(prevHash: string, entry: AuditHashedFields): string {
  return sha256hex(prevHash + auditContent(entry));
}

/** The jsonb text for before/after (null for absent), refusing what JSON cannot hold faithfully. */
function jsonText(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  canonicalJson(value); // throws, naming the place, for NaN, bigint, functions…
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError(`audit ${field} has no JSON form`);
  return text;
}

/** The jsonb texts of each entry's before/after, checked before anything is locked. */
function entryTexts(entries: readonly AuditInput[]) {
  return entries.map((entry) => ({
    before: jsonText(entry.before, 'before'),
    after: jsonText(entry.after, 'after'),
  }));
}

/**
 * Takes the audit lock and reads the chain's last entry in one round trip (`prefix`, e.g.
 * 'BEGIN;', goes first in the same message). seq arrives as a string (pg's int8 default). Never
 * select it as seq::text: ORDER BY seq would then sort the text ('9' after '10').
 */
async function lockChainEnd(
  client: PoolClient,
  prefix: string,
): Promise<{ seq: string; hash: string }[]> {
  const results = (await client.query(
    `${prefix} SELECT pg_advisory_xact_lock(${AUDIT_LOCK_KEY}); SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`,
  )) as unknown as { rows: { seq: string; hash: string }[] }[];
  return (results[results.length - 1] as { rows: { seq: string; hash: string }[] }).rows;
}

/**
 * Appends one entry and returns it as stored. Call it with the client of the transaction that
 * makes the change it records, so that both commit or neither does; it takes the audit advisory
 * lock, which that transaction then holds until it ends (keep such transactions short). The
 * transaction must be READ COMMITTED (the default): the last entry is read after the lock is
 * granted, and an older snapshot would miss it (the UNIQUE prev_hash constraint then refuses the
 * insert rather than forking the chain).
 */
export async function appendAudit(client: PoolClient, entry: AuditInput): Promise<AuditRecord> {
  const [record] = await appendAuditEntries(client, [entry]);
  return record as AuditRecord;
}

/** Entries at most in one INSERT (12 parameters each; PostgreSQL allows 65,535). */
export const MAX_AUDIT_BATCH = 500;

/**
 * Appends several entries, in order, as consecutive links of the chain: one lock, one read of
 * the chain's end and one INSERT for all of them (appendAudit is this with one entry). The same
 * rules as appendAudit hold: call it inside the transaction whose change the entries record.
 */
export async function appendAuditEntries(
  client: PoolClient,
  entries: readonly AuditInput[],
): Promise<AuditRecord[]> {
  if (!checkBatch(entries)) return [];
  // pg reports the transaction state from its last ReadyForQuery ('I' idle, 'T' in a transaction,
  // 'E' failed). Outside a transaction the lock would end with its own statement.
  const status = (
    client as { getTransactionStatus?: () => string | null }
  ).getTransactionStatus?.();
  if (status === 'I')
    throw new Error('appendAudit needs a transaction: call it between BEGIN and COMMIT');

  const texts = entryTexts(entries);
  const rows = await lockChainEnd(client, '');
  const { records, sql, values } = chainEntries(entries, texts, rows[0]);
  await client.query(sql, values);
  return records;
}

/**
 * appendAuditEntries in a transaction of its own, in three round trips (BEGIN with the lock and
 * the read of the chain's end; the INSERT; COMMIT), for entries that record no other change.
 */
export async function appendAuditEntriesAlone(
  pool: Pool,
  entries: readonly AuditInput[],
): Promise<AuditRecord[]> {
  if (!checkBatch(entries)) return [];
  const texts = entryTexts(entries);
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    const rows = await lockChainEnd(client, 'BEGIN;');
    const { records, sql, values } = chainEntries(entries, texts, rows[0]);
    await client.query(sql, values);
    await client.query('COMMIT');
    return records;
  } catch (error) {
    await client.query('ROLLBACK').catch((failed: Error) => {
      broken = failed; // a connection that cannot roll back is not given back to the pool
    });
    throw error;
  } finally {
    client.release(broken);
  }
}

/** False for no entries; throws for more than one INSERT takes. */
function checkBatch(entries: readonly AuditInput[]): boolean {
  if (entries.length > MAX_AUDIT_BATCH)
    throw new Error(`at most ${MAX_AUDIT_BATCH} audit entries at once (got ${entries.length})`);
  return entries.length > 0;
}

/** The records the entries become after `last`, and the INSERT that stores them. */
function chainEntries(
  entries: readonly AuditInput[],
  texts: { before: string | null; after: string | null }[],
  last: { seq: string; hash: string } | undefined,
): { records: AuditRecord[]; sql: string; values: unknown[] } {
  let prevHash = last?.hash ?? GENESIS_HASH;
  let seq = last ? BigInt(last.seq) : 0n;
  // Milliseconds, computed here and inserted as is: the hash covers this exact string, and
  // timestamptz keeps microseconds, so it reads back unchanged.
  const at = new Date().toISOString();
  const records: AuditRecord[] = [];
  const values: unknown[] = [];
  const tuples: string[] = [];
  entries.forEach((entry, k) => {
    seq += 1n;
    const { before: beforeText, after: afterText } = texts[k] as {
      before: string | null;
      after: string | null;
    };
    const fields: AuditHashedFields = {
      seq: seq.toString(),
      at,
      actorKind: entry.actorKind,
      actorId: entry.actorId ?? null,
      channel: entry.channel,
      action: entry.action,
      entityKind: entry.entityKind,
      entityId: entry.entityId,
      // Hash what the jsonb column will give back, not the caller's object (Dates, Decs, undefined).
      before: beforeText === null ? null : JSON.parse(beforeText),
      after: afterText === null ? null : JSON.parse(afterText),
    };
    const hash = auditHash(prevHash, fields);
    const base = k * 12;
    tuples.push(
      `($${base + 1}, $${base + 2}, $${base + 3}, $${base + 4}, $${base + 5}, $${base + 6}, $${base + 7}, $${base + 8}, $${base + 9}::jsonb, $${base + 10}::jsonb, $${base + 11}, $${base + 12})`,
    );
    values.push(
      fields.seq,
      fields.at,
      fields.actorKind,
      fields.actorId,
      fields.channel,
      fields.action,
      fields.entityKind,
      fields.entityId,
      beforeText,
      afterText,
      prevHash,
      hash,
    );
    records.push({
      seq: fields.seq,
      at,
      actorKind: entry.actorKind,
      actorId: fields.actorId,
      channel: entry.channel,
      action: entry.action,
      entityKind: entry.entityKind,
      entityId: entry.entityId,
      before: fields.before,
      after: fields.after,
      prevHash,
      hash,
    });
    prevHash = hash;
  });
  // seq is assigned here, under the lock, rather than by the identity sequence (which would skip
  // numbers on rollback): consecutive seqs are what lets verification tell a deleted entry.
  const sql = `INSERT INTO audit_log (seq, at, actor_kind, actor_id, channel, action, entity_kind, entity_id,
                            before, after, prev_hash, hash)
       OVERRIDING SYSTEM VALUE
       VALUES ${tuples.join(', ')}`;
  return { records, sql, values };
}

/** Why the chain breaks at an entry. */
export type AuditBreakReason = 'gap' | 'prev_hash_mismatch' | 'hash_mismatch';

/** One end of a verified chain. */
export interface AuditChainEnd {
  seq: string;
  at: string;
  hash: string;
}

/** What verifyAudit found. `entries` counts the entries verified (before the break, if any). */
export type AuditVerification =
  | { ok: true; entries: number; first?: AuditChainEnd; last?: AuditChainEnd }
  | {
      ok: false;
      entries: number;
      brokenAt: { seq: string; reason: AuditBreakReason; message: string };
    };

/** Progress of a verification: entries checked so far, of about `total`. */
export interface AuditVerifyProgress {
  verified: number;
  total: number;
}

// `at` with microseconds: an entry appendAudit wrote has 000 there and is cut back to the
// milliseconds it hashed; any other value is kept, so that it cannot match.
const COPY_SQL = `COPY (
  SELECT seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
         actor_kind, actor_id, channel, action, entity_kind, entity_id, before, after, prev_hash, hash
    FROM audit_log ORDER BY seq) TO STDOUT`;

const PROGRESS_EVERY = 50_000;
const NEWLINE = 0x0a;
const COPY_ESCAPES: Record<string, string> = {
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

/** One field of COPY's text format: \N is NULL; backslash escapes are undone. */
function copyField(field: string): string | null {
  if (field === '\\N') return null;
  if (!field.includes('\\')) return field;
  return field.replace(/\\(.)/g, (_, c: string) => COPY_ESCAPES[c] ?? c);
}

/**
 * Walks the whole log in seq order and recomputes every link: seqs consecutive from 1, each
 * prev_hash equal to the previous entry's hash (64 zeros for the first), each hash equal to
 * SHA-256(prev_hash ‖ canonical entry). Stops at the first break and says what is wrong there.
 * It streams the table with one COPY … TO STDOUT (a million entries in a few seconds; pages of
 * ordinary query results spent most of that time in the driver's row parsing).
 *
 * What a chain cannot show on its own: entries removed from the very end. Keep the last hash
 * somewhere else (a report, a ticket) to detect that.
 */
export async function verifyAudit(
  pool: Pool,
  options: { onProgress?: (progress: AuditVerifyProgress) => void } = {},
): Promise<AuditVerification> {
  const client = await pool.connect();
  let streaming = false;
  try {
    const { rows: counted } = await client.query<{ n: string }>(
      'SELECT coalesce(max(seq), 0)::text AS n FROM audit_log',
    );
    const total = Number(counted[0]?.n ?? 0);
    let prevHash = GENESIS_HASH;
    let expected = 1;
    let entries = 0;
    let first: AuditChainEnd | undefined;
    let lastSeq = '';
    let lastAt = '';
    let rest: Buffer | undefined;
    streaming = true;
    const stream = client.query(copyTo(COPY_SQL));
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      // Split at the last newline so that no UTF-8 sequence is cut (0x0a never occurs inside one).
      const data = rest ? Buffer.concat([rest, chunk]) : chunk;
      const end = data.lastIndexOf(NEWLINE);
      if (end < 0) {
        rest = data;
        continue;
      }
      rest = end + 1 < data.length ? data.subarray(end + 1) : undefined;
      const lines = data.toString('utf8', 0, end).split('\n');
      for (const line of lines) {
        const field = line.split('\t');
        if (field.length !== 12)
          throw new Error(`audit verify: unexpected COPY row: ${line.slice(0, 80)}`);
        const seq = field[0] as string;
        const storedPrev = field[10] as string;
        const storedHash = field[11] as string;
        const problem = checkLink(seq, storedPrev, expected, prevHash);
        if (problem) return { ok: false, entries, brokenAt: { seq, ...problem } };
        const atUs = field[1] as string;
        const at = atUs.endsWith('000Z') ? `${atUs.slice(0, -4)}Z` : atUs;
        const before = copyField(field[8] as string);
        const after = copyField(field[9] as string);
        const hash = auditHash(prevHash, {
          seq,
          at,
          actorKind: copyField(field[2] as string) as string,
          actorId: copyField(field[3] as string),
          channel: copyField(field[4] as string) as string,
          action: copyField(field[5] as string) as string,
          entityKind: copyField(field[6] as string) as string,
          entityId: copyField(field[7] as string) as string,
          before: before === null ? null : JSON.parse(before),
          after: after === null ? null : JSON.parse(after),
        });
        if (hash !== storedHash) {
          return {
            ok: false,
            entries,
            brokenAt: {
              seq,
              reason: 'hash_mismatch',
              message: `hash mismatch: entry ${seq} does not hash to its recorded hash ${storedHash.slice(0, 12)}… (its content was changed after it was written)`,
            },
          };
        }
        prevHash = hash;
        expected++;
        entries++;
        if (first === undefined) first = { seq, at, hash };
        if (entries % PROGRESS_EVERY === 0)
          options.onProgress?.({ verified: entries, total: Math.max(total, entries) });
        lastSeq = seq;
        lastAt = at;
      }
    }
    if (rest) throw new Error('audit verify: the COPY output ended in the middle of a row');
    streaming = false;
    options.onProgress?.({ verified: entries, total: Math.max(total, entries) });
    if (first === undefined) return { ok: true, entries };
    return { ok: true, entries, first, last: { seq: lastSeq, at: lastAt, hash: prevHash } };
  } finally {
    // Leaving in the middle of the COPY (a break found) leaves the connection mid-protocol:
    // it is closed rather than handed to the next caller.
    client.release(streaming);
  }
}

/** A gap or a prev_hash that does not follow on, before the hash itself is recomputed. */
function checkLink(
  seqText: string,
  stored: string,
  expected: number,
  prevHash: string,
): { reason: AuditBreakReason; message: string } | undefined {
  const seq = Number(seqText);
  if (seq !== expected) {
    const missing =
      seq - 1 === expected ? `entry ${expected} is` : `entries ${expected}–${seq - 1} are`;
    return {
      reason: 'gap',
      message:
        expected === 1
          ? `gap: the log starts at seq ${seq}; ${missing} missing`
          : `gap: seq jumps from ${expected - 1} to ${seq}; ${missing} missing`,
    };
  }
  if (stored === prevHash) return undefined;
  return {
    reason: 'prev_hash_mismatch',
    message:
      expected === 1
        ? `prev_hash does not match: the first entry must name 64 zeros, it names ${stored.slice(0, 12)}…`
        : `prev_hash does not match the previous entry's hash: entry ${expected - 1} hashes to ${prevHash.slice(0, 12)}…, entry ${seq} names ${stored.slice(0, 12)}…`,
  };
}
