/** The orders, accounts and positions rows the paper broker reads and locks, and how they look through the port. */
import { type Dec, toDec } from '../../core/decimal.js';
import type { Pool, PoolClient } from '../../store/db/pool.js';
import { accountCash } from '../../store/repos/accounts-repo.js';
import type { BrokerOrder, BrokerOrderStatus, OrderSide, OrderType, TimeInForce } from '../port.js';
import type { OrderTerms } from './fill-math.js';

/** A pool or a client inside a transaction. */
export type Queryable = Pool | PoolClient;

/** The broker name in accounts.broker and orders.broker. */
export const PAPER = 'paper';

/** Statuses in which a paper order still works (can fill or be cancelled). */
export const WORKING = ['submitted', 'partially_filled'] as const;

/** An orders row as the paper broker reads it (NUMERIC as text). */
export interface OrderRecord {
  id: string;
  proposal_id: string;
  account_id: string;
  client_order_id: string;
  broker: string;
  broker_order_id: string | null;
  symbol: string;
  side: OrderSide;
  quantity: string | null;
  notional: string | null;
  type: OrderType;
  limit_price: string | null;
  stop_price: string | null;
  time_in_force: TimeInForce;
  status: string;
  filled_quantity: string;
  avg_fill_price: string | null;
  failure_reason: string | null;
  updated_at: Date;
}

/** An accounts row, as far as the paper broker needs it. */
export interface AccountRecord {
  id: string;
  broker: string;
  base_currency: string;
  allow_fractional: boolean;
  closed_at: Date | null;
}

const ORDER_COLUMNS = `id, proposal_id, account_id, client_order_id, broker, broker_order_id, symbol, side,
  quantity::text, notional::text, type, limit_price::text, stop_price::text, time_in_force, status,
  filled_quantity::text, avg_fill_price::text, failure_reason, updated_at`;

/** Decimal text for the database and the port: plain notation, no trailing zeros, never "-0". */
export function text(value: Dec): string {
  return value.isZero() ? '0' : value.toFixed();
}

/** Money as shown in messages and account figures: two decimals. */
export function money(value: Dec): string {
  return value.toFixed(2);
}

/** Locks one orders row by id (FOR UPDATE), or undefined when there is none. */
export async function lockOrderById(
  client: PoolClient,
  orderId: string,
): Promise<OrderRecord | undefined> {
  const { rows } = await client.query<OrderRecord>(
    `SELECT ${ORDER_COLUMNS} FROM orders WHERE id = $1 FOR UPDATE`,
    [orderId],
  );
  return rows[0];
}

/** Locks one paper orders row by account and client order id, or undefined when there is none. */
export async function lockOrderByClientId(
  client: PoolClient,
  accountId: string,
  clientOrderId: string,
): Promise<OrderRecord | undefined> {
  const { rows } = await client.query<OrderRecord>(
    `SELECT ${ORDER_COLUMNS} FROM orders
      WHERE client_order_id = $1 AND account_id = $2 AND broker = $3 FOR UPDATE`,
    [clientOrderId, accountId, PAPER],
  );
  return rows[0];
}

/** Reads one paper orders row by account and client order id, without a lock. */
export async function readOrderByClientId(
  db: Queryable,
  accountId: string,
  clientOrderId: string,
): Promise<OrderRecord | undefined> {
  const { rows } = await db.query<OrderRecord>(
    `SELECT ${ORDER_COLUMNS} FROM orders
      WHERE client_order_id = $1 AND account_id = $2 AND broker = $3`,
    [clientOrderId, accountId, PAPER],
  );
  return rows[0];
}

/**
 * Locks the account row. Every fill and every submit takes it after the order row, so the fills of
 * one account are serialised: cash checks see every earlier fill, and fills commit in the order of
 * their filled_at (which fillsSince's cursor relies on). FOR NO KEY UPDATE still lets other
 * transactions insert rows that reference the account.
 */
export async function lockAccount(
  client: PoolClient,
  accountId: string,
): Promise<AccountRecord | undefined> {
  const { rows } = await client.query<AccountRecord>(
    `SELECT id, broker, base_currency, allow_fractional, closed_at FROM accounts
      WHERE id = $1 FOR NO KEY UPDATE`,
    [accountId],
  );
  return rows[0];
}

/** The account's cash: the sum of its ledger. */
export async function cashOf(db: Queryable, accountId: string): Promise<Dec> {
  return toDec(await accountCash(db, accountId));
}

/** The order's decimal terms. */
export function termsOf(row: OrderRecord): OrderTerms {
  const optional = (value: string | null) => (value === null ? null : toDec(value));
  return {
    side: row.side,
    type: row.type,
    quantity: optional(row.quantity),
    notional: optional(row.notional),
    limitPrice: optional(row.limit_price),
    stopPrice: optional(row.stop_price),
  };
}

function portStatus(row: OrderRecord): BrokerOrderStatus {
  switch (row.status) {
    case 'filled':
      return 'filled';
    case 'cancelled':
      return 'cancelled';
    case 'failed':
      return 'rejected';
    case 'partially_filled':
      return 'partially_filled';
    default:
      // 'submitted', or 'needs_attention' set by orders/ on a row the broker had accepted.
      return toDec(row.filled_quantity).gt(0) ? 'partially_filled' : 'accepted';
  }
}

/** The broker's view of an orders row that it has accepted (broker_order_id set). */
export function toBrokerOrder(row: OrderRecord): BrokerOrder {
  const order: BrokerOrder = {
    clientOrderId: row.client_order_id,
    brokerOrderId: row.broker_order_id ?? '',
    status: portStatus(row),
    filledQuantity: text(toDec(row.filled_quantity)),
    avgFillPrice: row.avg_fill_price === null ? null : text(toDec(row.avg_fill_price)),
    updatedAt: row.updated_at.toISOString(),
  };
  if (row.failure_reason) order.reason = row.failure_reason;
  return order;
}
