/** How one fill changes a position: signed quantity, average cost and realized P&L, through zero and back. */
import { Dec } from '../../core/decimal.js';
import type { OrderSide } from '../port.js';

/** Average cost is kept to 10 decimals: far below a cent on any realistic position. */
export const AVG_COST_DECIMALS = 10;

/** A position as the positions table holds it (quantity signed: negative is short). */
export interface PositionState {
  quantity: Dec;
  /** Average cost of the open quantity, ≥ 0 (for a short: the average price it was sold at). */
  avgCost: Dec;
  realizedPnl: Dec;
}

/** The position after the fill; `opened` is true when it went from flat (or through zero) to a new open position. */
export interface PositionChange extends PositionState {
  opened: boolean;
}

/**
 * Applies a fill of `quantity` at `price`:
 * - adding in the direction of the position (or opening one) averages the cost, weighted by shares;
 * - reducing realizes (price − avg cost) per share closed (reversed for a short), keeping the avg cost;
 * - going through zero closes the old side at that price and opens the rest at the fill price.
 * Realized P&L is before commission (commission is its own cash-ledger line).
 */
export function applyFill(
  position: PositionState,
  side: OrderSide,
  quantity: Dec,
  price: Dec,
): PositionChange {
  const delta = side === 'buy' ? quantity : quantity.neg();
  const held = position.quantity;
  const next = held.plus(delta);
  if (held.isZero() || held.isNegative() === delta.isNegative()) {
    const cost = held
      .abs()
      .times(position.avgCost)
      .plus(delta.abs().times(price))
      .div(next.abs())
      .toDecimalPlaces(AVG_COST_DECIMALS, Dec.ROUND_HALF_EVEN);
    return {
      quantity: next,
      avgCost: cost,
      realizedPnl: position.realizedPnl,
      opened: held.isZero(),
    };
  }
  const closed = Dec.min(delta.abs(), held.abs());
  const perShare = held.isPositive()
    ? price.minus(position.avgCost)
    : position.avgCost.minus(price);
  const realizedPnl = position.realizedPnl.plus(closed.times(perShare));
  if (next.isZero()) return { quantity: next, avgCost: new Dec(0), realizedPnl, opened: false };
  if (next.isNegative() === held.isNegative())
    return { quantity: next, avgCost: position.avgCost, realizedPnl, opened: false };
  return { quantity: next, avgCost: price, realizedPnl, opened: true };
}
