/** Accounts as an operator sees and changes them: list them, switch MCP elicitation on or off (audited). */
import { appendAudit } from '../audit/audit-log.js';
import { inTransaction, type Pool } from '../db/pool.js';
import type { Queryable } from './principals-repo.js';

/** An account's settings that matter to approvals. */
export interface AccountInfo {
  id: string;
  name: string;
  kind: 'paper' | 'live';
  broker: string;
  fourEyesNotional: string | null;
  /** Whether an MCP client's elicitation form may approve for it. */
  allowElicitation: boolean;
  closed: boolean;
}

/** Every account, by id. */
export async function listAccounts(db: Queryable): Promise<AccountInfo[]> {
  const { rows } = await db.query<{
    id: string;
    name: string;
    kind: 'paper' | 'live';
    broker: string;
    four_eyes_notional: string | null;
    allow_elicitation: boolean;
    closed: boolean;
  }>(
    `SELECT id, name, kind, broker, four_eyes_notional::text, allow_elicitation, closed_at IS NOT NULL AS closed
       FROM accounts ORDER BY id`,
  );
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    kind: row.kind,
    broker: row.broker,
    fourEyesNotional: row.four_eyes_notional,
    allowElicitation: row.allow_elicitation,
    closed: row.closed,
  }));
}

/**
 * Switches whether MCP elicitation may approve for account `id`, written to the audit log with
 * the value before and after. Undefined when there is no such account.
 */
export async function setAllowElicitation(
  pool: Pool,
  id: string,
  allow: boolean,
  channel = 'cli',
): Promise<{ before: boolean; after: boolean } | undefined> {
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query<{ allow_elicitation: boolean }>(
      'SELECT allow_elicitation FROM accounts WHERE id = $1 FOR UPDATE',
      [id],
    );
    const before = rows[0]?.allow_elicitation;
    if (before === undefined) return undefined;
    if (before === allow) return { before, after: allow };
    await client.query('UPDATE accounts SET allow_elicitation = $2 WHERE id = $1', [id, allow]);
    await appendAudit(client, {
      actorKind: 'system',
      actorId: null,
      channel,
      action: 'account.updated',
      entityKind: 'account',
      entityId: id,
      before: { allow_elicitation: before },
      after: { allow_elicitation: allow },
    });
    return { before, after: allow };
  });
}
