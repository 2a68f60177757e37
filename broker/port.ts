/**
 * The broker port: what `orders/` needs from any broker. Only `orders/` may call `submit` (the
 * dependency rules forbid every other layer to import broker/), and only with the approval it
 * has just loaded from the database; adapters refuse a request without one.
 *
 * Quantities, prices and money cross the port as decimal strings (exact; NUMERIC in PostgreSQL).
 */

export type OrderSide = 'buy' | 'sell';
export type OrderType = 'market' | 'limit' | 'stop';
export type TimeInForce = 'day' | 'gtc' | 'ioc' | 'fok' | 'opg' | 'cls';

/** The human approval an order is sent under, as `orders/` loaded it in the submitting transaction. */
export interface ApprovalProof {
  proposalId: string;
  /** The approvals (one, or two under the four-eyes rule) consumed by this submission. */
  approvalIds: string[];
  /** The proposal's order hash, which every approval was bound to. */
  orderHash: string;
}

/** One order as `orders/` sends it. `clientOrderId` is derived from proposal and leg: sending it twice never makes two orders. */
export interface BrokerOrderRequest {
  clientOrderId: string;
  /** Our orders.id (the paper broker links its fills to it). */
  orderId: string;
  accountId: string;
  symbol: string;
  side: OrderSide;
  /** Exactly one of quantity and notional. */
  quantity?: string;
  notional?: string;
  type: OrderType;
  limitPrice?: string;
  stopPrice?: string;
  timeInForce: TimeInForce;
  approval: ApprovalProof;
}

export type BrokerOrderStatus =
  | 'accepted'
  | 'partially_filled'
  | 'filled'
  | 'cancelled'
  | 'rejected'
  | 'expired';

/** The broker's view of one order. */
export interface BrokerOrder {
  clientOrderId: string;
  brokerOrderId: string;
  status: BrokerOrderStatus;
  filledQuantity: string;
  /** Null until something filled. */
  avgFillPrice: string | null;
  /** Why it was rejected, cancelled or expired, in the broker's words. */
  reason?: string;
  updatedAt: string;
}

/** One execution. */
export interface BrokerFill {
  brokerFillId: string;
  clientOrderId: string;
  brokerOrderId: string;
  symbol: string;
  side: OrderSide;
  quantity: string;
  price: string;
  commission: string;
  /** ISO date-time. */
  filledAt: string;
}

export interface BrokerPosition {
  symbol: string;
  /** Signed: negative is short. */
  quantity: string;
  avgCost: string;
  /** At the broker's latest price, when it has one. */
  marketValue: string | null;
}

export interface BrokerAccount {
  accountId: string;
  currency: string;
  cash: string;
  equity: string;
  buyingPower: string | null;
}

/** A broker adapter. Errors: BrokerRejectedError (the broker said no, with its reason) or BrokerUnavailableError (could not reach it: the caller may retry with the same clientOrderId). */
export interface Broker {
  /** 'paper' or 'alpaca': what accounts.broker names. */
  readonly name: string;
  /** Sends the order, or returns the existing one when this clientOrderId was sent before. */
  submit(order: BrokerOrderRequest): Promise<BrokerOrder>;
  /** Asks to cancel a working order; returns its state after the request. */
  cancel(accountId: string, clientOrderId: string): Promise<BrokerOrder>;
  /** The order sent under this clientOrderId, or null when the broker never received it (reconciliation after a crash). */
  getOrder(accountId: string, clientOrderId: string): Promise<BrokerOrder | null>;
  positions(accountId: string): Promise<BrokerPosition[]>;
  account(accountId: string): Promise<BrokerAccount>;
  /** Fills after `cursor` (opaque; undefined = from the start), oldest first, and the cursor to continue from. */
  fillsSince(accountId: string, cursor?: string): Promise<{ fills: BrokerFill[]; cursor: string }>;
  close(): Promise<void>;
}

/** The broker refused the order (bad symbol, insufficient funds, …); not worth retrying as is. */
export class BrokerRejectedError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'BrokerRejectedError';
  }
}

/** The broker could not be reached or answered with a server error; retry with the same clientOrderId. */
export class BrokerUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BrokerUnavailableError';
  }
}

/** A request without an approval proof (or with an empty one): refused before anything is sent. */
export class MissingApprovalError extends Error {
  constructor(clientOrderId: string) {
    super(
      `order ${clientOrderId} carries no human approval; only orders/ submits, with the approval it loaded`,
    );
    this.name = 'MissingApprovalError';
  }
}

/** Throws MissingApprovalError unless the request carries a non-empty approval proof. Every adapter calls it first. */
export function requireApproval(order: BrokerOrderRequest): void {
  const proof = order.approval;
  if (
    !proof?.proposalId ||
    !Array.isArray(proof.approvalIds) ||
    proof.approvalIds.length === 0 ||
    !/^[0-9a-f]{64}$/.test(proof.orderHash ?? '')
  )
    throw new MissingApprovalError(order.clientOrderId);
}
