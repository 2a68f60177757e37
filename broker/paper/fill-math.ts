/**
 * The paper broker's execution rules as pure functions: at what price an order trades against a
 * quote, how much of it, and what it costs. No I/O, so every rule is tested to the cent.
 */
import { Dec } from '../../core/decimal.js';
import type { OrderSide, OrderType } from '../port.js';
import type { PaperTerms } from './options.js';

/** Fill prices carry at most 4 decimals (sub-penny, as US venues allow below $1). */
export const PRICE_DECIMALS = 4;
/** Fractional accounts trade in millionths of a share; others in whole shares. */
export const FRACTION_DECIMALS = 6;

const BPS = new Dec(10_000);

/** What of an order matters for filling it. */
export interface OrderTerms {
  side: OrderSide;
  type: OrderType;
  /** Exactly one of quantity and notional. */
  quantity: Dec | null;
  notional: Dec | null;
  limitPrice: Dec | null;
  stopPrice: Dec | null;
}

/** What has filled so far: shares, and their value Σ quantity × price (unrounded). */
export interface OrderProgress {
  filledQuantity: Dec;
  filledValue: Dec;
}

/** The quote an order is matched against, parsed. */
export interface QuoteTerms {
  price: Dec;
  volume: Dec | null;
}

/** One fill the rules allow, or why there is none. */
export type FillDecision =
  | {
      fill: true;
      quantity: Dec;
      price: Dec;
      /** quantity × price rounded to cents: what the cash ledger moves. */
      value: Dec;
      commission: Dec;
      /** True when this fill completes the order. */
      complete: boolean;
    }
  | { fill: false; reason: 'not_marketable' | 'not_triggered' | 'no_volume' | 'nothing_left' };

/** Rounds a quantity down to what the account can trade (whole shares, or millionths when fractional). */
export function floorUnits(quantity: Dec, fractional: boolean): Dec {
  return quantity.toDecimalPlaces(fractional ? FRACTION_DECIMALS : 0, Dec.ROUND_DOWN);
}

/** Money to the cent (banker's rounding, as core/decimal's Dec does everywhere). */
export function cents(amount: Dec): Dec {
  return amount.toDecimalPlaces(2, Dec.ROUND_HALF_EVEN);
}

/**
 * The quote moved against the trader by the slippage, then rounded to 4 decimals, again against
 * the trader (buys round up, sells down), so rounding never improves on the stated slippage.
 */
export function slippedPrice(side: OrderSide, quote: Dec, slippageBps: Dec): Dec {
  const factor = side === 'buy' ? BPS.plus(slippageBps) : BPS.minus(slippageBps);
  return quote
    .times(factor)
    .div(BPS)
    .toDecimalPlaces(PRICE_DECIMALS, side === 'buy' ? Dec.ROUND_UP : Dec.ROUND_DOWN);
}

/**
 * The price this order would trade at against `quote`, or why it would not trade.
 * - market: the slipped quote.
 * - limit: only when the quote is at or through the limit; the slipped quote, capped at the limit.
 * - stop: only once triggered (quote at or through the stop, or already partly filled, which
 *   means it triggered earlier); then like a market order.
 */
export function executionPrice(
  order: OrderTerms,
  progress: OrderProgress,
  quote: Dec,
  slippageBps: Dec,
): { price: Dec } | { reason: 'not_marketable' | 'not_triggered' } {
  const buy = order.side === 'buy';
  const slipped = slippedPrice(order.side, quote, slippageBps);
  if (order.type === 'limit') {
    const limit = order.limitPrice as Dec;
    if (buy ? quote.gt(limit) : quote.lt(limit)) return { reason: 'not_marketable' };
    return { price: buy ? Dec.min(slipped, limit) : Dec.max(slipped, limit) };
  }
  if (order.type === 'stop') {
    const stop = order.stopPrice as Dec;
    const triggered = progress.filledQuantity.gt(0) || (buy ? quote.gte(stop) : quote.lte(stop));
    if (!triggered) return { reason: 'not_triggered' };
  }
  return { price: slipped };
}

/** Per-share plus basis-point commission on one fill, at least the minimum, to the cent. */
export function commissionFor(quantity: Dec, price: Dec, terms: PaperTerms): Dec {
  const raw = quantity
    .times(terms.commissionPerShare)
    .plus(quantity.times(price).times(terms.commissionBps).div(BPS));
  return cents(Dec.max(raw, terms.commissionMinimum));
}

/**
 * Shares still to fill at `price`: the rest of a quantity order, or for a notional order what the
 * notional not yet spent buys (rounded down to the account's unit).
 */
export function remainingQuantity(
  order: OrderTerms,
  progress: OrderProgress,
  price: Dec,
  fractional: boolean,
): Dec {
  if (order.quantity) return order.quantity.minus(progress.filledQuantity);
  const left = (order.notional as Dec).minus(progress.filledValue);
  return left.lte(0) ? new Dec(0) : floorUnits(left.div(price), fractional);
}

/** The most one order may take from one quote: `maxVolumeShare` of its volume (no cap when volume is unknown). */
export function volumeCap(
  volume: Dec | null,
  maxVolumeShare: Dec,
  fractional: boolean,
): Dec | null {
  return volume === null ? null : floorUnits(volume.times(maxVolumeShare), fractional);
}

/** The fill this order gets from this quote under these terms, if any. */
export function decideFill(
  order: OrderTerms,
  progress: OrderProgress,
  quote: QuoteTerms,
  terms: PaperTerms,
  fractional: boolean,
): FillDecision {
  const priced = executionPrice(order, progress, quote.price, terms.slippageBps);
  if ('reason' in priced) return { fill: false, reason: priced.reason };
  const { price } = priced;
  const remaining = remainingQuantity(order, progress, price, fractional);
  if (remaining.lte(0)) return { fill: false, reason: 'nothing_left' };
  const cap = volumeCap(quote.volume, terms.maxVolumeShare, fractional);
  const quantity = cap === null ? remaining : Dec.min(remaining, cap);
  if (quantity.lte(0)) return { fill: false, reason: 'no_volume' };
  const after: OrderProgress = {
    filledQuantity: progress.filledQuantity.plus(quantity),
    filledValue: progress.filledValue.plus(quantity.times(price)),
  };
  return {
    fill: true,
    quantity,
    price,
    value: cents(quantity.times(price)),
    commission: commissionFor(quantity, price, terms),
    complete: remainingQuantity(order, after, price, fractional).lte(0),
  };
}
