/** Principals (the people and programs that act), their roles on accounts, and their API tokens. */
import { createHash, randomBytes } from 'node:crypto';
import type { ApiScope } from '../../config/env.js';
import { appendAudit } from '../audit/audit-log.js';
import { inTransaction, type Pool, type PoolClient } from '../db/pool.js';

export type Role = 'viewer' | 'trader' | 'approver' | 'admin';

/** Every role, from least to most. A role grants only itself: admin does not imply approver. */
export const ROLES: readonly Role[] = ['viewer', 'trader', 'approver', 'admin'];
export const API_SCOPES: readonly ApiScope[] = ['read', 'propose'];
/** What principals.handle allows. */
export const HANDLE_PATTERN = /^[a-z0-9_-]{1,40}$/;
/** What accounts.id allows. */
export const ACCOUNT_PATTERN = /^[a-z0-9][a-z0-9_-]{0,39}$/;

/** A person or program that acts; `disabledAt` set means nothing it holds works any more. */
export interface Principal {
  id: string;
  handle: string;
  displayName: string | null;
  createdAt: Date;
  disabledAt: Date | null;
}

/** Who a valid API token speaks for. */
export interface VerifiedApiToken {
  principalId: string;
  handle: string;
  scopes: ApiScope[];
  tokenId: string;
}

/** A request the caller can fix (a bad name, an unknown account); the message says how. */
export class PrincipalInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrincipalInputError';
  }
}

type Queryable = Pool | PoolClient;

/** The principal with this handle, or undefined. */
export async function findPrincipalByHandle(
  db: Queryable,
  handle: string,
): Promise<Principal | undefined> {
  const { rows } = await db.query<{
    id: string;
    handle: string;
    display_name: string | null;
    created_at: Date;
    disabled_at: Date | null;
  }>('SELECT id, handle, display_name, created_at, disabled_at FROM principals WHERE handle = $1', [
    handle,
  ]);
  const row = rows[0];
  return (
    row && {
      id: row.id,
      handle: row.handle,
      displayName: row.display_name,
      createdAt: row.created_at,
      disabledAt: row.disabled_at,
    }
  );
}

/**
 * The roles a principal holds on an account: grants on that account plus grants with no account
 * (every account), in ROLES order. A disabled principal holds none.
 */
export async function rolesFor(
  db: Queryable,
  principalId: string,
  accountId: string,
): Promise<Role[]> {
  const { rows } = await db.query<{ role: Role }>(
    `SELECT DISTINCT g.role FROM role_grants g JOIN principals p ON p.id = g.principal_id
      WHERE g.principal_id = $1 AND (g.account_id = $2 OR g.account_id IS NULL)
        AND p.disabled_at IS NULL`,
    [principalId, accountId],
  );
  const held = new Set(rows.map((row) => row.role));
  return ROLES.filter((role) => held.has(role));
}

/** Whether the principal holds exactly `role` on the account (directly or on every account). */
export async function hasRole(
  db: Queryable,
  principalId: string,
  accountId: string,
  role: Role,
): Promise<boolean> {
  return (await rolesFor(db, principalId, accountId)).includes(role);
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

/** The token id inside a token made by createApiToken (`cs_<id>_<secret>`), or undefined. */
export function apiTokenId(token: string): string | undefined {
  return TOKEN_FORMAT.exec(token)?.[1];
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
      throw new PrincipalInputError(
        `scope "${scope}" is not valid: use ${API_SCOPES.join(' and/or ')}`,
      );
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
 * revoked, or its principal is disabled. Marks the token used (last_used_at, to the minute).
 */
export async function verifyApiToken(
  db: Queryable,
  token: string,
): Promise<VerifiedApiToken | undefined> {
  const tokenId = apiTokenId(token);
  if (tokenId === undefined) return undefined;
  // The lookup goes by token id (the unique index); the stored hash must match too. Comparing
  // SHA-256 digests in SQL leaks nothing useful: a timing difference says nothing of the token.
  const { rows } = await db.query<{
    id: string;
    principal_id: string;
    handle: string;
    scopes: ApiScope[];
    stale: boolean;
  }>(
    `SELECT i.id, i.principal_id, p.handle, i.scopes,
            (i.last_used_at IS NULL OR i.last_used_at < now() - interval '60 seconds') AS stale
       FROM identities i JOIN principals p ON p.id = i.principal_id
      WHERE i.kind = 'api_token' AND i.external_id = $1 AND i.secret_hash = $2
        AND i.revoked_at IS NULL AND p.disabled_at IS NULL`,
    [tokenId, hashApiToken(token)],
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
  return row && { principalId: row.principal_id, handle: row.handle, scopes: row.scopes, tokenId };
}
