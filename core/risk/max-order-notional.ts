/** max_order_notional: the dollar size of one order. */
import { Dec } from '../decimal.js';
import { executionPrice, readOrder } from './context.js';
import { formatPrice, formatQuantity, formatUsd, formatUsdBeside } from './format.js';
import { type RiskRule, result } from './rule.js';

const NAME = 'max_order_notional';

/**
 * Notional = the order's notional when it is sized in dollars, else quantity × execution price
 * (limit price for a limit order, stop price for a stop order, last price for a market order).
 * A notional exactly at the limit passes. It applies to sells as well as buys: it is a fat-finger
 * guard, so a large exit has to be split into orders of at most the limit.
 */
export const maxOrderNotional: RiskRule = {
  name: NAME,
  description:
    'Quantity × execution price (or the order notional) must be ≤ maxOrderNotional (default ' +
    '$100,000), for buys and sells alike; null turns it off.',
  check(context, limits) {
    const limit = limits.maxOrderNotional;
    if (limit === null) {
      return result(NAME, true, 'max order notional is off (maxOrderNotional is null)', null, null);
    }
    const order = readOrder(context);
    let notional: Dec;
    let basis: string;
    if (order.quantity === undefined) {
      notional = order.notional as Dec;
      basis = 'dollar-sized order';
    } else {
      const execution = executionPrice(context, order);
      notional = order.quantity.times(execution.price);
      basis = `${formatQuantity(order.quantity)} ${order.symbol} × ${formatPrice(execution.price)} ${execution.basis}`;
    }
    const limitDec = new Dec(limit);
    const notionalText = `order notional ${formatUsdBeside(notional, limitDec)} (${basis})`;
    if (notional.lte(limitDec)) {
      return result(
        NAME,
        true,
        `${notionalText} within max ${formatUsd(limitDec)}`,
        limit,
        notional,
      );
    }
    return result(
      NAME,
      false,
      `${notionalText} exceeds the account's max order notional ${formatUsd(limitDec)}`,
      limit,
      notional,
    );
  },
};
