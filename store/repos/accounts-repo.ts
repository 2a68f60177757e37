/**
 * Accounts as an operator sees and changes them (list them, switch MCP elicitation on or off,
 * audited), and an account's cash and positions as every layer reads them.
 */
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

/** An account's cash: the sum of its ledger, as exact decimal text ('0' when it has none). */
export async function accountCash(db: Queryable, accountId: string): Promise<string> {
  const { rows } = await db.query<{ cash: string }>(
    'SELECT COALESCE(sum(amount), 0)::text AS cash FROM cash_ledger WHERE account_id = $1',
    [accountId],
  );
  return rows[0]?.cash ?? '0';
}

/** A position as stored, decimals as text. */
export interface AccountPosition {
  symbol: string;
  quantity: string;
  avgCost: string;
  realizedPnl: string;
}

/** An account's open positions (quantity not zero), by symbol. */
export async function accountPositions(
  db: Queryable,
  accountId: string,
): Promise<AccountPosition[]> {
  const { rows } = await db.query<{
    symbol: string;
    quantity: string;
    avg_cost: string;
    realized_pnl: string;
  }>(
    `SELECT symbol, quantity::text, avg_cost::text, realized_pnl::text FROM positions
      WHERE account_id = $1 AND quantity <> 0 ORDER BY symbol`,
    [accountId],
  );
  return rows.map((row) => ({
    symbol: row.symbol,
    quantity: row.quantity,
    avgCost: row.avg_cost,
    realizedPnl: row.realized_pnl,
  }));
}

/** An open position with the last stored daily close of its symbol (null when there is none). */
export interface ValuedPosition extends AccountPosition {
  close: string | null;
  date: string | null;
}

/** An account's open positions, each with its symbol's last stored close, in one query. */
export async function accountPositionsWithLastClose(
  db: Queryable,
  accountId: string,
): Promise<ValuedPosition[]> {
  const { rows } = await db.query<{
    symbol: string;
    quantity: string;
    avg_cost: string;
    realized_pnl: string;
    close: string | null;
    date: string | null;
  }>(
    `SELECT p.symbol, p.quantity::text, p.avg_cost::text, p.realized_pnl::text, b.close::text, b.date::text
       FROM positions p
       LEFT JOIN LATERAL (SELECT close, date FROM daily_bars d WHERE d.symbol = p.symbol ORDER BY date DESC LIMIT 1) b ON true
      WHERE p.account_id = $1 AND p.quantity <> 0`,
    [accountId],
  );
  return rows.map((row) => ({
    symbol: row.symbol,
    quantity: row.quantity,
    avgCost: row.avg_cost,
    realizedPnl: row.realized_pnl,
    close: row.close,
    date: row.date,
  }));
}

/**
 * The quantity of `symbol` the account holds, as text ('0' when it has no row). No lock: pass
 * the transaction's client to read within it.
 */
export async function heldQuantity(
  db: Queryable,
  accountId: string,
  symbol: string,
): Promise<string> {
  const { rows } = await db.query<{ quantity: string }>(
    'SELECT quantity::text FROM positions WHERE account_id = $1 AND symbol = $2',
    [accountId, symbol],
  );
  return rows[0]?.quantity ?? '0';
}
