/**
 * Test fixture for the paper broker: the rows orders/ leaves behind before it calls submit (an
 * account with cash, an instrument, a proposal with one leg, a human approval, the orders row in
 * 'submitting') and the request it sends. Used by tests only.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Pool } from '../../store/db/pool.js';
import type { BrokerOrderRequest, OrderSide, OrderType, TimeInForce } from '../port.js';

/** One order as a test describes it; type defaults to market, time in force to day. */
export interface TestOrderSpec {
  symbol: string;
  side: OrderSide;
  quantity?: string;
  notional?: string;
  type?: OrderType;
  limitPrice?: string;
  stopPrice?: string;
  timeInForce?: TimeInForce;
}

/** A fresh paper account id (lower-case, as accounts.id requires). */
export function newAccountId(prefix = 't'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/** Creates the instrument when missing. */
export async function ensureInstrument(
  pool: Pool,
  symbol: string,
  currency = 'USD',
): Promise<void> {
  await pool.query(
    'INSERT INTO instruments (symbol, currency) VALUES ($1, $2) ON CONFLICT (symbol) DO NOTHING',
    [symbol, currency],
  );
}

/** Creates a paper account holding `cash` (one deposit in the ledger) and returns its id. */
export async function createPaperAccount(
  pool: Pool,
  options: { id?: string; cash?: string; fractional?: boolean; broker?: string } = {},
): Promise<string> {
  const id = options.id ?? newAccountId();
  await pool.query(
    `INSERT INTO accounts (id, name, kind, broker, allow_fractional) VALUES ($1, $1, 'paper', $2, $3)`,
    [id, options.broker ?? 'paper', options.fractional ?? false],
  );
  if (options.cash && options.cash !== '0')
    await pool.query(
      `INSERT INTO cash_ledger (account_id, amount, currency, kind, note) VALUES ($1, $2, 'USD', 'deposit', 'test deposit')`,
      [id, options.cash],
    );
  return id;
}

/**
 * Inserts a proposal with one leg, an approval of it by a new principal and the orders row
 * ('submitting'), all committed, and returns the request orders/ would send for it.
 */
export async function createOrderRow(
  pool: Pool,
  accountId: string,
  spec: TestOrderSpec,
): Promise<BrokerOrderRequest> {
  await ensureInstrument(pool, spec.symbol);
  const type = spec.type ?? 'market';
  const timeInForce = spec.timeInForce ?? 'day';
  const orderHash = createHash('sha256').update(randomUUID()).digest('hex');
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows: principal } = await client.query<{ id: string }>(
      'INSERT INTO principals (handle) VALUES ($1) RETURNING id',
      [`p-${randomBytes(6).toString('hex')}`],
    );
    const { rows: proposal } = await client.query<{ id: string }>(
      `INSERT INTO proposals (account_id, kind, status, order_hash, proposer_kind, channel, expires_at)
       VALUES ($1, 'order', 'submitted', $2, 'agent', 'cli', now() + interval '15 minutes') RETURNING id`,
      [accountId, orderHash],
    );
    const proposalId = (proposal[0] as { id: string }).id;
    const values = [
      spec.symbol,
      spec.side,
      spec.quantity ?? null,
      spec.notional ?? null,
      type,
      spec.limitPrice ?? null,
      spec.stopPrice ?? null,
      timeInForce,
    ];
    await client.query(
      `INSERT INTO proposal_legs (proposal_id, leg, symbol, side, quantity, notional, type, limit_price, stop_price, time_in_force)
       VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [proposalId, ...values],
    );
    const { rows: approval } = await client.query<{ id: string }>(
      `INSERT INTO approvals (proposal_id, principal_id, decision, channel, order_hash, consumed_at)
       VALUES ($1, $2, 'approve', 'cli', $3, now()) RETURNING id`,
      [proposalId, (principal[0] as { id: string }).id, orderHash],
    );
    const clientOrderId = `cs-${proposalId}-1`;
    const { rows: order } = await client.query<{ id: string }>(
      `INSERT INTO orders (proposal_id, leg, account_id, client_order_id, broker, symbol, side, quantity, notional,
                           type, limit_price, stop_price, time_in_force)
       VALUES ($1, 1, $2, $3, 'paper', $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
      [proposalId, accountId, clientOrderId, ...values],
    );
    await client.query('COMMIT');
    const request: BrokerOrderRequest = {
      clientOrderId,
      orderId: (order[0] as { id: string }).id,
      accountId,
      symbol: spec.symbol,
      side: spec.side,
      type,
      timeInForce,
      approval: {
        proposalId,
        approvalIds: [(approval[0] as { id: string }).id],
        orderHash,
      },
    };
    if (spec.quantity !== undefined) request.quantity = spec.quantity;
    if (spec.notional !== undefined) request.notional = spec.notional;
    if (spec.limitPrice !== undefined) request.limitPrice = spec.limitPrice;
    if (spec.stopPrice !== undefined) request.stopPrice = spec.stopPrice;
    return request;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

/** An orders row as tests check it. */
export async function readOrder(pool: Pool, orderId: string) {
  const { rows } = await pool.query<{
    status: string;
    broker_order_id: string | null;
    filled_quantity: string;
    avg_fill_price: string | null;
    failure_reason: string | null;
  }>(
    `SELECT status, broker_order_id, filled_quantity::text, avg_fill_price::text, failure_reason
       FROM orders WHERE id = $1`,
    [orderId],
  );
  return rows[0];
}

/** The account's cash-ledger lines other than deposits, oldest first. */
export async function ledgerOf(pool: Pool, accountId: string) {
  const { rows } = await pool.query<{ kind: string; amount: string; fill_id: string | null }>(
    `SELECT kind, amount::text, fill_id FROM cash_ledger
      WHERE account_id = $1 AND kind <> 'deposit' ORDER BY id`,
    [accountId],
  );
  return rows;
}

/** The account's cash: the sum of its ledger, as text with two decimals. */
export async function cashIn(pool: Pool, accountId: string): Promise<string> {
  const { rows } = await pool.query<{ cash: string }>(
    'SELECT coalesce(sum(amount), 0)::numeric(20, 2)::text AS cash FROM cash_ledger WHERE account_id = $1',
    [accountId],
  );
  return rows[0]?.cash ?? '0';
}

/** One positions row, or undefined. */
export async function positionOf(pool: Pool, accountId: string, symbol: string) {
  const { rows } = await pool.query<{
    quantity: string;
    avg_cost: string;
    realized_pnl: string;
    opened_at: Date | null;
  }>(
    `SELECT quantity::text, avg_cost::text, realized_pnl::text, opened_at FROM positions
      WHERE account_id = $1 AND symbol = $2`,
    [accountId, symbol],
  );
  return rows[0];
}

/** The fills of an order, oldest first. */
export async function fillsOf(pool: Pool, orderId: string) {
  const { rows } = await pool.query<{
    quantity: string;
    price: string;
    commission: string;
    broker_fill_id: string;
  }>(
    `SELECT quantity::text, price::text, commission::text, broker_fill_id FROM fills
      WHERE order_id = $1 ORDER BY filled_at, id`,
    [orderId],
  );
  return rows;
}

/** The audit actions recorded for an order, in order. */
export async function auditOf(pool: Pool, orderId: string): Promise<string[]> {
  const { rows } = await pool.query<{ action: string }>(
    `SELECT action FROM audit_log WHERE entity_kind = 'order' AND entity_id = $1 ORDER BY seq`,
    [orderId],
  );
  return rows.map((row) => row.action);
}
