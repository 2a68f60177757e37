/**
 * Chat identities (Telegram users, Slack "team:user") bound to principals with one-time link
 * codes: `countersign link --principal NAME` makes a code (valid 10 minutes, single use, stored
 * only as its SHA-256), `/link CODE` in the chat app redeems it. Every link, redemption and
 * revocation is an audit entry written in the same transaction.
 */
import { createHash, randomInt } from 'node:crypto';
import { appendAudit } from '../audit/audit-log.js';
import { inTransaction, type Pool } from '../db/pool.js';
import { findPrincipalByHandle, PrincipalInputError, type Queryable } from './principals-repo.js';

export type ChatKind = 'telegram' | 'slack';
export const CHAT_KINDS: readonly ChatKind[] = ['telegram', 'slack'];

/** How long a link code stays valid. */
export const LINK_CODE_TTL_MS = 10 * 60_000;
/** Letters and digits that cannot be misread for one another (no 0/O, 1/I/L). */
const ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
const CODE_LENGTH = 8;

const hashCode = (code: string) => createHash('sha256').update(normalizeCode(code)).digest('hex');

/** The code as typed ("k7q2-9fxm", "K7Q2 9FXM") in its stored form ("K7Q29FXM"). */
export function normalizeCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}

/** A new code for `handle`, shown once as "XXXX-XXXX". PrincipalInputError for an unknown or disabled principal. */
export async function createLinkCode(
  pool: Pool,
  handle: string,
  now = new Date(),
): Promise<{ code: string; principalId: string; expiresAt: Date }> {
  const principal = await findPrincipalByHandle(pool, handle);
  if (!principal) {
    const { rows } = await pool.query<{ handle: string }>(
      'SELECT handle FROM principals WHERE disabled_at IS NULL ORDER BY handle LIMIT 20',
    );
    throw new PrincipalInputError(
      `no principal "${handle.slice(0, 60)}"; principals: ${rows.map((row) => row.handle).join(', ') || 'none'} (add one with countersign principal add)`,
    );
  }
  if (principal.disabledAt)
    throw new PrincipalInputError(
      `principal "${principal.handle}" is disabled (since ${principal.disabledAt.toISOString()})`,
    );
  const raw = Array.from({ length: CODE_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join(
    '',
  );
  const expiresAt = new Date(now.getTime() + LINK_CODE_TTL_MS);
  await inTransaction(pool, async (client) => {
    await client.query(
      'INSERT INTO link_codes (code_hash, principal_id, created_at, expires_at) VALUES ($1, $2, $3, $4)',
      [hashCode(raw), principal.id, now, expiresAt],
    );
    await appendAudit(client, {
      actorKind: 'system',
      actorId: null,
      channel: 'cli',
      action: 'link_code.created',
      entityKind: 'principal',
      entityId: principal.id,
      after: { handle: principal.handle, expires_at: expiresAt.toISOString() },
    });
  });
  return { code: `${raw.slice(0, 4)}-${raw.slice(4)}`, principalId: principal.id, expiresAt };
}

/** A principal a chat identity acts as. */
export interface ChatPrincipal {
  id: string;
  handle: string;
  identityId: string;
}

/** What redeeming a code ended in: the principal now linked, or why not (said to the person). */
export type RedeemOutcome =
  | { ok: true; principal: ChatPrincipal; relinked: boolean }
  | { ok: false; reason: string };

/**
 * Binds chat identity (kind, externalId) to the code's principal. A code works once and for 10
 * minutes; an identity linked to another principal must be revoked first.
 */
export async function redeemLinkCode(
  pool: Pool,
  input: { kind: ChatKind; externalId: string; code: string; label?: string },
  now = new Date(),
): Promise<RedeemOutcome> {
  const code = normalizeCode(input.code);
  if (!/^[A-Z0-9]{8}$/.test(code))
    return {
      ok: false,
      reason:
        'a link code is 8 letters and digits, like K7Q2-9FXM: get one with `countersign link --principal NAME`',
    };
  return inTransaction(pool, async (client): Promise<RedeemOutcome> => {
    const { rows } = await client.query<{
      principal_id: string;
      expires_at: Date;
      used_at: Date | null;
      handle: string;
      disabled_at: Date | null;
    }>(
      `SELECT c.principal_id, c.expires_at, c.used_at, p.handle, p.disabled_at
         FROM link_codes c JOIN principals p ON p.id = c.principal_id
        WHERE c.code_hash = $1 FOR UPDATE OF c`,
      [hashCode(code)],
    );
    const row = rows[0];
    const refuse = async (reason: string, why: string): Promise<RedeemOutcome> => {
      await appendAudit(client, {
        actorKind: 'system',
        actorId: null,
        channel: input.kind,
        action: 'link_code.refused',
        entityKind: 'identity',
        entityId: `${input.kind}:${input.externalId}`,
        after: { why },
      });
      return { ok: false, reason };
    };
    if (!row) return refuse('that link code is not known: check it, or get a new one', 'unknown');
    if (row.used_at) return refuse('that link code was used already: get a new one', 'used');
    if (row.expires_at.getTime() <= now.getTime())
      return refuse(
        'that link code has expired (codes last 10 minutes): get a new one with `countersign link`',
        'expired',
      );
    if (row.disabled_at) return refuse(`principal ${row.handle} is disabled`, 'disabled');
    const existing = await client.query<{ id: string; principal_id: string; revoked: boolean }>(
      `SELECT id, principal_id, revoked_at IS NOT NULL AS revoked FROM identities
        WHERE kind = $1 AND external_id = $2 FOR UPDATE`,
      [input.kind, input.externalId],
    );
    const held = existing.rows[0];
    if (held && !held.revoked && held.principal_id !== row.principal_id) {
      const other = await client.query<{ handle: string }>(
        'SELECT handle FROM principals WHERE id = $1',
        [held.principal_id],
      );
      return refuse(
        `this ${input.kind} account is linked to ${other.rows[0]?.handle ?? 'another principal'} already: revoke that link first (countersign link --revoke)`,
        'linked_elsewhere',
      );
    }
    let identityId: string;
    if (held) {
      await client.query(
        'UPDATE identities SET principal_id = $2, revoked_at = NULL, label = COALESCE($3, label) WHERE id = $1',
        [held.id, row.principal_id, input.label ?? null],
      );
      identityId = held.id;
    } else {
      const inserted = await client.query<{ id: string }>(
        `INSERT INTO identities (principal_id, kind, external_id, label) VALUES ($1, $2, $3, $4) RETURNING id`,
        [row.principal_id, input.kind, input.externalId, input.label ?? null],
      );
      identityId = (inserted.rows[0] as { id: string }).id;
    }
    await client.query('UPDATE link_codes SET used_at = $2, used_by = $3 WHERE code_hash = $1', [
      hashCode(code),
      now,
      identityId,
    ]);
    await appendAudit(client, {
      actorKind: 'principal',
      actorId: row.principal_id,
      channel: input.kind,
      action: 'identity.linked',
      entityKind: 'identity',
      entityId: identityId,
      after: { kind: input.kind, external_id: input.externalId, handle: row.handle },
    });
    return {
      ok: true,
      principal: { id: row.principal_id, handle: row.handle, identityId },
      relinked: Boolean(held),
    };
  });
}

/** The principal chat identity (kind, externalId) acts as, or undefined when it is not linked (or revoked, or disabled). */
export async function principalForChat(
  db: Queryable,
  kind: ChatKind,
  externalId: string,
): Promise<ChatPrincipal | undefined> {
  const { rows } = await db.query<{ id: string; handle: string; identity_id: string }>(
    `SELECT p.id, p.handle, i.id AS identity_id FROM identities i JOIN principals p ON p.id = i.principal_id
      WHERE i.kind = $1 AND i.external_id = $2 AND i.revoked_at IS NULL AND p.disabled_at IS NULL`,
    [kind, externalId],
  );
  const row = rows[0];
  return row && { id: row.id, handle: row.handle, identityId: row.identity_id };
}

/** The live chat identities of a principal (where its proposals and alerts are delivered). */
export async function chatIdentitiesOf(
  db: Queryable,
  principalId: string,
): Promise<{ kind: ChatKind; externalId: string }[]> {
  const { rows } = await db.query<{ kind: ChatKind; external_id: string }>(
    `SELECT kind, external_id FROM identities
      WHERE principal_id = $1 AND kind IN ('telegram', 'slack') AND revoked_at IS NULL
      ORDER BY created_at`,
    [principalId],
  );
  return rows.map((row) => ({ kind: row.kind, externalId: row.external_id }));
}

export interface ChatLink {
  id: string;
  kind: ChatKind;
  externalId: string;
  handle: string;
  label: string | null;
  linkedAt: Date;
  revokedAt: Date | null;
}

/** Every chat identity, newest first (`countersign link --list`). */
export async function listChatLinks(db: Queryable): Promise<ChatLink[]> {
  const { rows } = await db.query<{
    id: string;
    kind: ChatKind;
    external_id: string;
    handle: string;
    label: string | null;
    created_at: Date;
    revoked_at: Date | null;
  }>(
    `SELECT i.id, i.kind, i.external_id, p.handle, i.label, i.created_at, i.revoked_at
       FROM identities i JOIN principals p ON p.id = i.principal_id
      WHERE i.kind IN ('telegram', 'slack') ORDER BY i.created_at DESC`,
  );
  return rows.map((row) => ({
    id: row.id,
    kind: row.kind,
    externalId: row.external_id,
    handle: row.handle,
    label: row.label,
    linkedAt: row.created_at,
    revokedAt: row.revoked_at,
  }));
}

/**
 * Revokes a chat link given as its identity id or as "telegram:12345" / "slack:T1:U2". Returns
 * the link revoked; PrincipalInputError naming the links there are when none matches.
 */
export async function revokeChatLink(pool: Pool, which: string): Promise<ChatLink> {
  const [kind, ...rest] = which.split(':');
  const byRef = CHAT_KINDS.includes(kind as ChatKind) && rest.length > 0;
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      byRef
        ? `UPDATE identities SET revoked_at = now()
            WHERE kind = $1 AND external_id = $2 AND revoked_at IS NULL RETURNING id`
        : `UPDATE identities SET revoked_at = now()
            WHERE id::text = $1 AND kind IN ('telegram', 'slack') AND revoked_at IS NULL RETURNING id`,
      byRef ? [kind, rest.join(':')] : [which],
    );
    const id = rows[0]?.id;
    if (!id) {
      const live = (await listChatLinks(client)).filter((link) => !link.revokedAt);
      throw new PrincipalInputError(
        `no live chat link ${JSON.stringify(which.slice(0, 80))}; live links: ${
          live.map((link) => `${link.kind}:${link.externalId} (${link.handle})`).join(', ') ||
          'none'
        }`,
      );
    }
    await appendAudit(client, {
      actorKind: 'system',
      actorId: null,
      channel: 'cli',
      action: 'identity.revoked',
      entityKind: 'identity',
      entityId: id,
    });
    return (await listChatLinks(client)).find((link) => link.id === id) as ChatLink;
  });
}
