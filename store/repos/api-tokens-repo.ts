/** API tokens: made by `countersign token create` or listed in API_TOKENS, stored only as hashes; verified, listed, revoked. */
import { createHash, randomBytes } from 'node:crypto';
import type { ApiScope, ApiToken } from '../../config/env.js';
import { appendAudit } from '../audit/audit-log.js';
import { inTransaction, type Pool, type PoolClient } from '../db/pool.js';
import {
  ACCOUNT_PATTERN,
  findPrincipalByHandle,
  HANDLE_PATTERN,
  PrincipalInputError,
  type Queryable,
  ROLES,
  type Role,
} from './principals-repo.js';
/**
 * Every scope, in this order. 'approve' lets a token decide on proposals (REST approve/reject,
 * the MCP approval form); it is granted only when asked for, never by default.
 */
export const API_SCOPES: readonly ApiScope[] = ['read', 'propose', 'approve'];

/** Who a valid API token speaks for. */
export interface VerifiedApiToken {
  principalId: string;
  handle: string;
  scopes: ApiScope[];
  tokenId: string;
}

/** What createApiToken needs. `role` is granted on `account` (default 'paper') when given. */
export interface CreateApiTokenOptions {
  /** The principal's handle; it is created when it does not exist yet. */
  principal: string;
  role?: Role;
  account?: string;
  scopes: ApiScope[];
  label?: string;
  /** The channel recorded in the audit log (default 'cli'). */
  channel?: string;
}

const TOKEN_FORMAT = /^cs_([0-9a-f]{16})_[A-Za-z0-9_-]{43}$/;

/** SHA-256 hex of a token: all the database ever holds of it. */
export function hashApiToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * What a token from API_TOKENS may be: 24 to 512 printable ASCII characters, no whitespace. The
 * upper bound keeps a pasted blob from being hashed on every request.
 */
const ENV_TOKEN_FORMAT = /^[\x21-\x7e]{24,512}$/;
/** The label of every identity made from API_TOKENS. */
export const ENV_TOKEN_LABEL = 'API_TOKENS';

/**
 * The token id an API_TOKENS token is stored under: `env-` and the first 16 hex digits of its
 * SHA-256, so that verifying it is one lookup on the unique (kind, external_id) index, and the
 * id can be shown and revoked without giving anything of the token away.
 */
export function envTokenId(token: string): string {
  return `env-${hashApiToken(token).slice(0, 16)}`;
}

/**
 * The id a bearer token is stored under: the token id inside a token made by createApiToken
 * (`cs_<id>_<secret>`), else `env-…` for text that could be an API_TOKENS token; undefined when
 * it can be neither.
 */
export function apiTokenId(token: string): string | undefined {
  const made = TOKEN_FORMAT.exec(token)?.[1];
  if (made !== undefined) return made;
  return ENV_TOKEN_FORMAT.test(token) ? envTokenId(token) : undefined;
}

/** Checks what the database constraints would refuse, with messages that name the bad value. */
function checkTokenOptions(options: CreateApiTokenOptions): void {
  if (!HANDLE_PATTERN.test(options.principal))
    throw new PrincipalInputError(
      `principal "${options.principal}" is not a valid name: use 1 to 40 of a-z, 0-9, _ and -`,
    );
  if (options.role !== undefined && !ROLES.includes(options.role))
    throw new PrincipalInputError(`role "${options.role}" is not valid: use ${ROLES.join(', ')}`);
  const account = options.account ?? 'paper';
  if (!ACCOUNT_PATTERN.test(account))
    throw new PrincipalInputError(
      `account "${account}" is not a valid account id: use a-z or 0-9, then up to 39 of a-z, 0-9, _ and -`,
    );
  for (const scope of options.scopes)
    if (!API_SCOPES.includes(scope))
      throw new PrincipalInputError(`scope "${scope}" is not valid: use ${API_SCOPES.join(', ')}`);
  if (options.label !== undefined && options.label.length > 200)
    throw new PrincipalInputError(
      `the label is ${options.label.length} characters long; use at most 200`,
    );
}

/**
 * Creates an API token for a principal (creating the principal if needed, and granting `role` on
 * the account if asked) and returns the token text: `cs_<token id>_<43 random characters>`
 * (256 bits). Only its SHA-256 is stored, so the text cannot be shown again. The creation is
 * written to the audit log (never the token, nor its hash). Throws PrincipalInputError for a bad
 * name, role, scope or label, an unknown account, or a disabled principal.
 */
export async function createApiToken(pool: Pool, options: CreateApiTokenOptions): Promise<string> {
  checkTokenOptions(options);
  const account = options.account ?? 'paper';
  const scopes = API_SCOPES.filter((scope) => options.scopes.includes(scope));
  const tokenId = randomBytes(8).toString('hex');
  const token = `cs_${tokenId}_${randomBytes(32).toString('base64url')}`;
  return inTransaction(pool, async (client) => {
    const created = await client.query<{ id: string }>(
      'INSERT INTO principals (handle) VALUES ($1) ON CONFLICT (handle) DO NOTHING RETURNING id',
      [options.principal],
    );
    const principal = await findPrincipalByHandle(client, options.principal);
    if (!principal) throw new Error(`principal ${options.principal} vanished while being created`);
    if (principal.disabledAt)
      throw new PrincipalInputError(
        `principal "${principal.handle}" is disabled (since ${principal.disabledAt.toISOString()}); a token for it would never work`,
      );
    if (options.role !== undefined) {
      const { rows } = await client.query('SELECT 1 FROM accounts WHERE id = $1', [account]);
      if (rows.length === 0) {
        const known = await client.query<{ id: string }>('SELECT id FROM accounts ORDER BY id');
        throw new PrincipalInputError(
          `account "${account}" does not exist; accounts: ${known.rows.map((row) => row.id).join(', ') || 'none'}`,
        );
      }
      await client.query(
        `INSERT INTO role_grants (principal_id, account_id, role) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING`,
        [principal.id, account, options.role],
      );
    }
    await client.query(
      `INSERT INTO identities (principal_id, kind, external_id, secret_hash, scopes, label)
         VALUES ($1, 'api_token', $2, $3, $4, $5)`,
      [principal.id, tokenId, hashApiToken(token), scopes, options.label ?? null],
    );
    await appendAudit(client, {
      actorKind: 'system',
      actorId: null,
      channel: options.channel ?? 'cli',
      action: 'api_token.created',
      entityKind: 'api_token',
      entityId: tokenId,
      after: {
        principal: principal.handle,
        principal_id: principal.id,
        principal_created: created.rows.length > 0,
        scopes,
        label: options.label ?? null,
        ...(options.role !== undefined ? { role_granted: { role: options.role, account } } : {}),
      },
    });
    return token;
  });
}

/**
 * The principal a bearer token speaks for, or undefined when the token is malformed, unknown,
 * revoked, or its principal is disabled. Accepts tokens made by createApiToken and tokens from
 * API_TOKENS (see syncEnvApiTokens). Marks the token used (last_used_at, to the minute).
 */
export async function verifyApiToken(
  db: Queryable,
  token: string,
): Promise<VerifiedApiToken | undefined> {
  const tokenId = apiTokenId(token);
  if (tokenId === undefined) return undefined;
  // An API_TOKENS entry may happen to look like cs_<id>_<secret>; it is stored under its env- id.
  const ids = tokenId.startsWith('env-') ? [tokenId] : [tokenId, envTokenId(token)];
  // The lookup goes by token id (the unique index); the stored hash must match too. Comparing
  // SHA-256 digests in SQL leaks nothing useful: a timing difference says nothing of the token.
  const { rows } = await db.query<{
    id: string;
    external_id: string;
    principal_id: string;
    handle: string;
    scopes: ApiScope[];
    stale: boolean;
  }>(
    `SELECT i.id, i.external_id, i.principal_id, p.handle, i.scopes,
            (i.last_used_at IS NULL OR i.last_used_at < now() - interval '60 seconds') AS stale
       FROM identities i JOIN principals p ON p.id = i.principal_id
      WHERE i.kind = 'api_token' AND i.external_id = ANY($1::text[]) AND i.secret_hash = $2
        AND i.revoked_at IS NULL AND p.disabled_at IS NULL`,
    [ids, hashApiToken(token)],
  );
  // last_used_at moves at most once a minute: a write (and a row lock) on every request would
  // serialise every caller of one token.
  if (rows[0]?.stale)
    await db.query(
      `UPDATE identities SET last_used_at = now()
        WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '60 seconds')`,
      [rows[0].id],
    );
  const row = rows[0];
  return (
    row && {
      principalId: row.principal_id,
      handle: row.handle,
      scopes: row.scopes,
      tokenId: row.external_id,
    }
  );
}

/** What syncEnvApiTokens changed, by token id (never the token), and what it could not fix. */
export interface EnvTokenSync {
  /** Env tokens now live: the entries of API_TOKENS, less those of disabled principals. */
  active: number;
  created: string[];
  /** Scopes or principal changed. */
  updated: string[];
  /** Revoked before (by an earlier sync or `countersign token revoke`), listed again, so live again. */
  reactivated: string[];
  /** No longer in API_TOKENS. */
  revoked: string[];
  /** Handles of disabled principals that API_TOKENS lists: their tokens do not work. */
  disabledPrincipals: string[];
}

/**
 * Checks API_TOKENS entries as the database will need them. The message names the entry by its
 * position and principal, never by its token.
 */
function checkEnvTokens(tokens: readonly ApiToken[]): void {
  const seen = new Map<string, number>();
  tokens.forEach((entry, index) => {
    const where = `API_TOKENS entry ${index + 1} (principal "${entry.principal}")`;
    if (!HANDLE_PATTERN.test(entry.principal))
      throw new PrincipalInputError(
        `${where}: the name is not valid: use 1 to 40 of a-z, 0-9, _ and -`,
      );
    if (!ENV_TOKEN_FORMAT.test(entry.token))
      throw new PrincipalInputError(
        `${where}: the token is ${entry.token.length} characters long or holds spaces or control characters; use 24 to 512 printable characters`,
      );
    for (const scope of entry.scopes)
      if (!API_SCOPES.includes(scope))
        throw new PrincipalInputError(
          `${where}: scope "${scope}" is not valid: use ${API_SCOPES.join(', ')}`,
        );
    const id = envTokenId(entry.token);
    const first = seen.get(id);
    if (first !== undefined)
      throw new PrincipalInputError(
        `API_TOKENS entries ${first + 1} and ${index + 1} hold the same token; list each token once`,
      );
    seen.set(id, index);
  });
}

/**
 * Makes the `env-` identities match API_TOKENS, in one transaction (run at server start): each
 * entry's principal is created if new (with no roles: grant them with `countersign token create
 * --role` or by an operator), its identity is created, or updated to the listed principal and
 * scopes, and made live again if revoked; env identities no longer listed are revoked. Only the
 * token's SHA-256 is stored. Each change is written to the audit log (never the token nor its
 * hash); a start with nothing changed writes nothing. Throws PrincipalInputError for a bad entry.
 */
export async function syncEnvApiTokens(
  pool: Pool,
  tokens: readonly ApiToken[],
  channel = 'system',
): Promise<EnvTokenSync> {
  checkEnvTokens(tokens);
  const result: EnvTokenSync = {
    active: tokens.length,
    created: [],
    updated: [],
    reactivated: [],
    revoked: [],
    disabledPrincipals: [],
  };
  const audit = (client: PoolClient, action: string, id: string, before: unknown, after: unknown) =>
    appendAudit(client, {
      actorKind: 'system',
      actorId: null,
      channel,
      action,
      entityKind: 'api_token',
      entityId: id,
      before,
      after,
    });
  await inTransaction(pool, async (client) => {
    // Two servers starting on one database would otherwise race on the same rows.
    await client.query("SELECT pg_advisory_xact_lock(hashtext('countersign.env_api_tokens'))");
    const listed: string[] = [];
    for (const entry of tokens) {
      const id = envTokenId(entry.token);
      listed.push(id);
      const scopes = API_SCOPES.filter((scope) => entry.scopes.includes(scope));
      const created = await client.query(
        'INSERT INTO principals (handle) VALUES ($1) ON CONFLICT (handle) DO NOTHING RETURNING id',
        [entry.principal],
      );
      const principal = await findPrincipalByHandle(client, entry.principal);
      if (!principal) throw new Error(`principal ${entry.principal} vanished while being created`);
      if (principal.disabledAt) {
        result.disabledPrincipals.push(principal.handle);
        result.active -= 1;
      }
      const { rows } = await client.query<{
        principal_id: string;
        handle: string;
        scopes: ApiScope[];
        revoked_at: Date | null;
      }>(
        `SELECT i.principal_id, p.handle, i.scopes, i.revoked_at
           FROM identities i JOIN principals p ON p.id = i.principal_id
          WHERE i.kind = 'api_token' AND i.external_id = $1 FOR UPDATE OF i`,
        [id],
      );
      const now = { principal: principal.handle, principal_id: principal.id, scopes };
      const old = rows[0];
      if (!old) {
        await client.query(
          `INSERT INTO identities (principal_id, kind, external_id, secret_hash, scopes, label)
             VALUES ($1, 'api_token', $2, $3, $4, $5)`,
          [principal.id, id, hashApiToken(entry.token), scopes, ENV_TOKEN_LABEL],
        );
        await audit(client, 'api_token.created', id, null, {
          ...now,
          principal_created: created.rows.length > 0,
          label: ENV_TOKEN_LABEL,
        });
        result.created.push(id);
        continue;
      }
      const sameScopes = old.scopes.join('+') === scopes.join('+');
      if (old.revoked_at === null && sameScopes && old.principal_id === principal.id) continue;
      await client.query(
        `UPDATE identities SET principal_id = $2, scopes = $3, revoked_at = NULL, label = $4
          WHERE kind = 'api_token' AND external_id = $1`,
        [id, principal.id, scopes, ENV_TOKEN_LABEL],
      );
      const before = {
        principal: old.handle,
        principal_id: old.principal_id,
        scopes: old.scopes,
        revoked_at: old.revoked_at?.toISOString() ?? null,
      };
      if (old.revoked_at !== null) {
        await audit(client, 'api_token.reactivated', id, before, { ...now, revoked_at: null });
        result.reactivated.push(id);
      } else {
        await audit(client, 'api_token.updated', id, before, { ...now, revoked_at: null });
        result.updated.push(id);
      }
    }
    const gone = await client.query<{ external_id: string; handle: string; scopes: ApiScope[] }>(
      `UPDATE identities i SET revoked_at = now() FROM principals p
        WHERE p.id = i.principal_id AND i.kind = 'api_token' AND i.external_id LIKE 'env-%'
          AND i.revoked_at IS NULL AND NOT (i.external_id = ANY($1::text[]))
        RETURNING i.external_id, p.handle, i.scopes`,
      [listed],
    );
    for (const row of gone.rows.sort((a, b) => a.external_id.localeCompare(b.external_id))) {
      await audit(
        client,
        'api_token.revoked',
        row.external_id,
        { principal: row.handle, scopes: row.scopes, revoked_at: null },
        { reason: 'no longer in API_TOKENS' },
      );
      result.revoked.push(row.external_id);
    }
  });
  return result;
}

/** An API token as `countersign token list` shows it: never the token, never its hash. */
export interface ApiTokenInfo {
  id: string;
  principal: string;
  scopes: ApiScope[];
  label: string | null;
  /** 'env' for API_TOKENS, 'cli' for `countersign token create`. */
  source: 'env' | 'cli';
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** Every API token, or one principal's, or the one with this id; by principal then creation time. */
export async function listApiTokens(
  db: Queryable,
  filter: { principal?: string; id?: string } = {},
): Promise<ApiTokenInfo[]> {
  const { rows } = await db.query<{
    external_id: string;
    handle: string;
    scopes: ApiScope[];
    label: string | null;
    created_at: Date;
    last_used_at: Date | null;
    revoked_at: Date | null;
  }>(
    `SELECT i.external_id, p.handle, i.scopes, i.label, i.created_at, i.last_used_at, i.revoked_at
       FROM identities i JOIN principals p ON p.id = i.principal_id
      WHERE i.kind = 'api_token' AND ($1::text IS NULL OR p.handle = $1)
        AND ($2::text IS NULL OR i.external_id = $2)
      ORDER BY p.handle, i.created_at, i.external_id`,
    [filter.principal ?? null, filter.id ?? null],
  );
  return rows.map((row) => ({
    id: row.external_id,
    principal: row.handle,
    scopes: row.scopes,
    label: row.label,
    source: row.external_id.startsWith('env-') ? 'env' : 'cli',
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  }));
}

/** The outcome of revokeApiToken: the token as revoked, or why nothing was done. */
export type RevokeApiTokenResult =
  | { ok: true; token: ApiTokenInfo }
  | { ok: false; code: 'unknown_token' }
  | { ok: false; code: 'already_revoked'; token: ApiTokenInfo };

/**
 * Revokes one API token by id (a 16-hex id from `countersign token create`, or an `env-` id), and
 * writes it to the audit log. An env token still in API_TOKENS is made live again at the next
 * server start. An unknown or already revoked id is a value, not an error.
 */
export async function revokeApiToken(
  pool: Pool,
  tokenId: string,
  channel = 'cli',
): Promise<RevokeApiTokenResult> {
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query<{ revoked: boolean }>(
      `SELECT revoked_at IS NOT NULL AS revoked FROM identities
        WHERE kind = 'api_token' AND external_id = $1 FOR UPDATE`,
      [tokenId],
    );
    if (!rows[0]) return { ok: false, code: 'unknown_token' };
    const find = async () => (await listApiTokens(client, { id: tokenId }))[0] as ApiTokenInfo;
    if (rows[0].revoked) return { ok: false, code: 'already_revoked', token: await find() };
    await client.query(
      "UPDATE identities SET revoked_at = now() WHERE kind = 'api_token' AND external_id = $1",
      [tokenId],
    );
    const token = await find();
    await appendAudit(client, {
      actorKind: 'system',
      actorId: null,
      channel,
      action: 'api_token.revoked',
      entityKind: 'api_token',
      entityId: tokenId,
      before: { principal: token.principal, scopes: token.scopes, revoked_at: null },
      after: { reason: 'revoked by an operator' },
    });
    return { ok: true, token };
  });
}
