/** duplicate_order: the same order proposed again within a short window. */
import { Dec } from '../decimal.js';
import {
  describeOrder,
  type RecentOrderView,
  readNow,
  readOrder,
  readRecentOrders,
} from './context.js';
import { formatSeconds } from './format.js';
import { type RiskRule, result } from './rule.js';

const NAME = 'duplicate_order';

function sameNumber(a: Dec | undefined, b: Dec | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a.eq(b);
}

/**
 * A recent order with the same account, symbol (ignoring case), side, type, quantity (or
 * notional), limit price and stop price, proposed less than duplicateWindowSeconds (default 60)
 * before `now`, makes this order a duplicate; one exactly the window's length ago does not. Time
 * in force is not compared. A recent order with this order's `id` is this order itself (at
 * approval time it is in the list) and is skipped; one stamped after `now` counts as recent.
 */
export const duplicateOrder: RiskRule = {
  name: NAME,
  description:
    'Refuses an order identical (account, symbol, side, type, quantity or notional, limit and ' +
    'stop price) to one proposed less than duplicateWindowSeconds (default 60) ago.',
  check(context, limits) {
    const window = limits.duplicateWindowSeconds;
    if (window === null) {
      return result(
        NAME,
        true,
        'duplicate check is off (duplicateWindowSeconds is null)',
        null,
        null,
      );
    }
    const order = readOrder(context);
    const now = readNow(context);
    const windowText = formatSeconds(window);
    let latest: { entry: RecentOrderView; age: Dec } | undefined;
    for (const entry of readRecentOrders(context)) {
      const same =
        (order.id === undefined || entry.id !== order.id) &&
        entry.account === order.account &&
        entry.symbol === order.symbol &&
        entry.side === order.side &&
        entry.type === order.type &&
        sameNumber(entry.quantity, order.quantity) &&
        sameNumber(entry.notional, order.notional) &&
        sameNumber(entry.limitPrice, order.limitPrice) &&
        sameNumber(entry.stopPrice, order.stopPrice);
      if (!same) continue;
      const age = new Dec(now - entry.atMs).dividedBy(1000);
      if (latest === undefined || age.lt(latest.age)) latest = { entry, age };
    }
    const what = describeOrder(order);
    if (latest === undefined) {
      return result(
        NAME,
        true,
        `no identical order (${what}) in the last ${windowText}`,
        window,
        null,
      );
    }
    const ageText = latest.age.isNeg()
      ? 'with a time after now'
      : `${formatSeconds(latest.age)} ago`;
    if (latest.age.lt(window)) {
      return result(
        NAME,
        false,
        `the same order (${what}) was proposed ${ageText}, within the duplicate window ${windowText}`,
        window,
        latest.age,
      );
    }
    return result(
      NAME,
      true,
      `the last identical order (${what}) was proposed ${ageText}, outside the duplicate window ${windowText}`,
      window,
      latest.age,
    );
  },
};
