/** Principals (the people and programs that act) and their roles on accounts; API tokens are in api-tokens-repo.ts. */
import { appendAudit } from '../audit/audit-log.js';
import { inTransaction, type Pool, type PoolClient } from '../db/pool.js';

export type Role = 'viewer' | 'trader' | 'approver' | 'admin';

/** Every role, from least to most. A role grants only itself: admin does not imply approver. */
export const ROLES: readonly Role[] = ['viewer', 'trader', 'approver', 'admin'];
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

/** A request the caller can fix (a bad name, an unknown account); the message says how. */
export class PrincipalInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrincipalInputError';
  }
}

export type Queryable = Pool | PoolClient;

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

/**
 * The accounts a principal may read: 'all' when it holds a role on every account (a grant with
 * no account), else the ids it holds any role on. A disabled principal sees none.
 */
export async function readableAccounts(
  db: Queryable,
  principalId: string,
): Promise<'all' | string[]> {
  const { rows } = await db.query<{ account_id: string | null }>(
    `SELECT DISTINCT g.account_id FROM role_grants g JOIN principals p ON p.id = g.principal_id
      WHERE g.principal_id = $1 AND p.disabled_at IS NULL`,
    [principalId],
  );
  if (rows.some((row) => row.account_id === null)) return 'all';
  return rows.map((row) => row.account_id as string).sort();
}

/** What `addCliPrincipal` did. */
export interface CliPrincipalAdded {
  principalId: string;
  created: boolean;
  /** Roles newly granted on the account (those already held are not repeated). */
  granted: Role[];
  /** Every role the principal now holds on the account. */
  roles: Role[];
}

/**
 * Creates principal `handle` if new, gives it a command-line identity (so `countersign approve
 * --as HANDLE` decides as it), and grants `roles` on `account`; one audited transaction.
 * PrincipalInputError for a bad name, role or account, or a disabled principal.
 */
export async function addCliPrincipal(
  pool: Pool,
  options: { handle: string; roles: Role[]; account: string; channel?: string },
): Promise<CliPrincipalAdded> {
  if (!HANDLE_PATTERN.test(options.handle))
    throw new PrincipalInputError(
      `"${options.handle.slice(0, 60)}" is not a valid principal name: use 1 to 40 of a-z, 0-9, _ and - (e.g. alice)`,
    );
  for (const role of options.roles)
    if (!ROLES.includes(role))
      throw new PrincipalInputError(
        `"${String(role).slice(0, 30)}" is not a role: use ${ROLES.join(', ')}`,
      );
  return inTransaction(pool, async (client) => {
    const known = await client.query<{ id: string }>(
      'SELECT id FROM accounts WHERE closed_at IS NULL ORDER BY id',
    );
    if (!known.rows.some((row) => row.id === options.account))
      throw new PrincipalInputError(
        `account "${options.account.slice(0, 60)}" does not exist; accounts: ${known.rows.map((row) => row.id).join(', ') || 'none'}`,
      );
    const created = await client.query<{ id: string }>(
      'INSERT INTO principals (handle) VALUES ($1) ON CONFLICT (handle) DO NOTHING RETURNING id',
      [options.handle],
    );
    const principal = await findPrincipalByHandle(client, options.handle);
    if (!principal) throw new Error(`principal ${options.handle} vanished while being created`);
    if (principal.disabledAt)
      throw new PrincipalInputError(
        `principal "${principal.handle}" is disabled (since ${principal.disabledAt.toISOString()})`,
      );
    const identity = await client.query<{ principal_id: string }>(
      `INSERT INTO identities (principal_id, kind, external_id) VALUES ($1, 'cli', $2)
         ON CONFLICT (kind, external_id) DO UPDATE SET revoked_at = NULL
         WHERE identities.principal_id = EXCLUDED.principal_id
       RETURNING principal_id`,
      [principal.id, options.handle],
    );
    if (identity.rows.length === 0)
      throw new PrincipalInputError(
        `the command-line identity "${options.handle}" belongs to another principal`,
      );
    const granted: Role[] = [];
    for (const role of options.roles) {
      const { rowCount } = await client.query(
        `INSERT INTO role_grants (principal_id, account_id, role) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING`,
        [principal.id, options.account, role],
      );
      if (rowCount) granted.push(role);
    }
    await appendAudit(client, {
      actorKind: 'system',
      actorId: null,
      channel: options.channel ?? 'cli',
      action: 'principal.cli_added',
      entityKind: 'principal',
      entityId: principal.id,
      after: {
        handle: principal.handle,
        created: created.rows.length > 0,
        account: options.account,
        granted,
      },
    });
    return {
      principalId: principal.id,
      created: created.rows.length > 0,
      granted,
      roles: await rolesFor(client, principal.id, options.account),
    };
  });
}
