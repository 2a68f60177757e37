/** restricted_symbols: symbols the account may not trade at all. */
import { readOrder, symbolKey } from './context.js';
import { type RiskRule, result } from './rule.js';

const NAME = 'restricted_symbols';

/**
 * An order in a symbol on restrictedSymbols fails, whatever its side: a restricted list (e.g.
 * during an insider blackout) forbids selling as much as buying. Matching ignores case and
 * surrounding spaces. An empty list (the default) passes every order.
 */
export const restrictedSymbols: RiskRule = {
  name: NAME,
  description:
    'Orders (buy or sell) in a symbol on restrictedSymbols fail; case-insensitive; default: none restricted.',
  check(context, limits) {
    const order = readOrder(context);
    const restricted = limits.restrictedSymbols.map(symbolKey);
    if (restricted.length === 0) {
      return result(
        NAME,
        true,
        `no symbols are restricted for this account (${order.symbol} allowed)`,
        null,
        order.symbol,
      );
    }
    const list = restricted.join(', ');
    if (restricted.includes(order.symbol)) {
      return result(
        NAME,
        false,
        `${order.symbol} is on the account's restricted list (${list}); no order in it may be proposed`,
        list,
        order.symbol,
      );
    }
    return result(
      NAME,
      true,
      `${order.symbol} is not on the account's restricted list (${list})`,
      list,
      order.symbol,
    );
  },
};
