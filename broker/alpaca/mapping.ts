/** Alpaca's order, position, account and fill-activity objects, checked on arrival and mapped onto the port. */
import { z } from 'zod';
import { isDecimalText, toDec } from '../../core/decimal.js';
import type {
  BrokerFill,
  BrokerOrder,
  BrokerOrderStatus,
  BrokerPosition,
  OrderSide,
} from '../port.js';
import { BrokerUnavailableError } from '../port.js';

// Alpaca sends decimals as strings; accept numbers too (some fields were numbers in older versions).
const decimal = z
  .union([z.string(), z.number()])
  .transform(String)
  .refine(isDecimalText, 'not a decimal number')
  .transform((value) => {
    const d = toDec(value);
    return d.isZero() ? '0' : d.toFixed();
  });
const side = z.enum(['buy', 'sell']);

/** The fields of Alpaca's Order object the adapter uses. */
export const alpacaOrderSchema = z.object({
  id: z.string().min(1),
  client_order_id: z.string(),
  status: z.string(),
  symbol: z.string(),
  side,
  qty: decimal.nullable().optional(),
  notional: decimal.nullable().optional(),
  filled_qty: decimal,
  filled_avg_price: decimal.nullable().optional(),
  created_at: z.string().nullable().optional(),
  updated_at: z.string().nullable().optional(),
  replaced_by: z.string().nullable().optional(),
});
export type AlpacaOrder = z.infer<typeof alpacaOrderSchema>;

export const alpacaPositionSchema = z.object({
  symbol: z.string(),
  qty: decimal,
  side: z.string().optional(),
  avg_entry_price: decimal,
  market_value: decimal.nullable().optional(),
});

export const alpacaAccountSchema = z.object({
  currency: z.string(),
  cash: decimal,
  equity: decimal,
  buying_power: decimal.nullable().optional(),
});

/** A FILL activity (Alpaca's TradeActivity). */
export const alpacaFillSchema = z.object({
  id: z.string().min(1),
  activity_type: z.literal('FILL'),
  transaction_time: z.string(),
  type: z.string().optional(),
  price: decimal,
  qty: decimal,
  side,
  symbol: z.string(),
  order_id: z.string(),
});
export type AlpacaFill = z.infer<typeof alpacaFillSchema>;

/** Parses an Alpaca object, or throws BrokerUnavailableError saying what was malformed (not worth acting on). */
export function parseAlpaca<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success)
    throw new BrokerUnavailableError(
      `alpaca: unexpected ${what} in the answer: ${parsed.error.issues
        .slice(0, 3)
        .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
        .join('; ')}`,
    );
  return parsed.data;
}

// Alpaca's statuses (docs: "Order Lifecycle"). Anything not terminal is still working, whatever
// its sub-state; an unknown future status is treated as working too (never as done).
const TERMINAL: Record<string, BrokerOrderStatus> = {
  filled: 'filled',
  canceled: 'cancelled',
  cancelled: 'cancelled',
  expired: 'expired',
  rejected: 'rejected',
  replaced: 'cancelled',
};

/**
 * Alpaca status → port status. new, accepted, pending_new, accepted_for_bidding, calculated,
 * stopped, suspended, held, done_for_day, pending_cancel and pending_replace are working orders:
 * 'partially_filled' when something filled, else 'accepted'.
 */
export function mapStatus(status: string, filledQuantity: string): BrokerOrderStatus {
  const terminal = TERMINAL[status];
  if (terminal) return terminal;
  return toDec(filledQuantity).gt(0) ? 'partially_filled' : 'accepted';
}

/** An Alpaca order as the port's BrokerOrder. */
export function toBrokerOrder(order: AlpacaOrder): BrokerOrder {
  const status = mapStatus(order.status, order.filled_qty);
  const mapped: BrokerOrder = {
    clientOrderId: order.client_order_id,
    brokerOrderId: order.id,
    status,
    filledQuantity: order.filled_qty,
    avgFillPrice:
      order.filled_avg_price && toDec(order.filled_avg_price).gt(0) ? order.filled_avg_price : null,
    updatedAt: order.updated_at ?? order.created_at ?? new Date(0).toISOString(),
  };
  if (status === 'cancelled' || status === 'expired' || status === 'rejected')
    mapped.reason =
      order.status === 'replaced'
        ? `alpaca: replaced by order ${order.replaced_by ?? '(unknown)'}`
        : `alpaca: order ${order.status}`;
  return mapped;
}

/** An Alpaca position as the port's, quantity signed (Alpaca says "short" in `side`). */
export function toBrokerPosition(position: z.infer<typeof alpacaPositionSchema>): BrokerPosition {
  const qty = toDec(position.qty);
  const signed = position.side === 'short' && qty.gt(0) ? qty.neg() : qty;
  return {
    symbol: position.symbol.trim(),
    quantity: signed.isZero() ? '0' : signed.toFixed(),
    avgCost: position.avg_entry_price,
    marketValue: position.market_value ?? null,
  };
}

/** A FILL activity as the port's fill. Alpaca charges no commission on equities; the activity carries none. */
export function toBrokerFill(activity: AlpacaFill, clientOrderId: string): BrokerFill {
  return {
    brokerFillId: activity.id,
    clientOrderId,
    brokerOrderId: activity.order_id,
    symbol: activity.symbol,
    side: activity.side as OrderSide,
    quantity: activity.qty,
    price: activity.price,
    commission: '0',
    filledAt: activity.transaction_time,
  };
}
