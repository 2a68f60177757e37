/** short_sale: a sell of shares the account does not hold, on an account that may not sell short. */
import { Dec } from '../decimal.js';
import { orderFigures } from './context.js';
import { formatQuantity } from './format.js';
import { type RiskRule, result } from './rule.js';

const NAME = 'short_sale';

/**
 * A sell may use the shares held less those already promised to working sell orders. Selling
 * more than that would open (or add to) a short position, which fails unless the account allows
 * short sales (`allowShort`: a margin account at a broker that permits it; the paper broker
 * never does). Buys always pass. The limit reported is the quantity that may be sold.
 */
export const shortSale: RiskRule = {
  name: NAME,
  description:
    'A sell of more shares than the account holds (less those in working sell orders) fails unless the account allows short sales; buys pass.',
  check(context) {
    const { order, account, quantity, held } = orderFigures(context);
    if (order.side === 'buy')
      return result(NAME, true, `a buy opens no short position in ${order.symbol}`, null, null);
    const promised = account.openSells.get(order.symbol) ?? new Dec(0);
    const available = Dec.max(held.minus(promised), 0);
    const shown = formatQuantity(quantity);
    const holds = `the account holds ${formatQuantity(held)} ${order.symbol}${
      promised.gt(0) ? ` (${formatQuantity(promised)} already in working sell orders)` : ''
    }`;
    if (quantity.lte(available))
      return result(
        NAME,
        true,
        `selling ${shown} ${order.symbol}: ${holds}, so no short position opens`,
        available,
        quantity,
      );
    if (account.allowShort)
      return result(
        NAME,
        true,
        `selling ${shown} ${order.symbol} while ${holds} opens a short position of ${formatQuantity(quantity.minus(available))}; this account allows short sales`,
        available,
        quantity,
      );
    return result(
      NAME,
      false,
      `selling ${shown} ${order.symbol} but ${holds}, so at most ${formatQuantity(available)} can be sold: this account does not allow short sales`,
      available,
      quantity,
    );
  },
};
