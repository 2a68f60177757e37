/** Principals (the people and programs that act) and their roles on accounts; API tokens are in api-tokens-repo.ts. */
import type { Pool, PoolClient } from '../db/pool.js';

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
