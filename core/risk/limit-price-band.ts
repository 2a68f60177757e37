/** limit_price_band: a limit or stop price near the last price. */
import { Dec } from '../decimal.js';
import { readLastPrice, readOrder } from './context.js';
import { formatLimitPercent, formatPercentBeside, formatPrice } from './format.js';
import { type RiskRule, result } from './rule.js';

const NAME = 'limit_price_band';

/**
 * Deviation = (limit or stop price − last price) ÷ last price; |deviation| ≤ limitPriceBand
 * (default 5 %) passes, so a price exactly on the band's edge passes. The band is symmetric: it
 * catches a fat-fingered price on either side, whichever the order's side. A market order has no
 * price to check and passes. The value is the signed deviation (a fraction).
 */
export const limitPriceBand: RiskRule = {
  name: NAME,
  description:
    'A limit or stop price must lie within ± limitPriceBand (default 5 %) of the last price; ' +
    'market orders pass.',
  check(context, limits) {
    const band = limits.limitPriceBand;
    if (band === null) {
      return result(NAME, true, 'limit price band is off (limitPriceBand is null)', null, null);
    }
    const order = readOrder(context);
    const bandDec = new Dec(band);
    const bandText = `±${formatLimitPercent(bandDec)}`;
    const price = order.limitPrice ?? order.stopPrice;
    if (price === undefined) {
      return result(
        NAME,
        true,
        `a market order has no limit or stop price to hold to the band ${bandText}`,
        band,
        null,
      );
    }
    const what = order.limitPrice !== undefined ? 'limit price' : 'stop price';
    const last = readLastPrice(
      context,
      `to check the ${what} of a ${order.type} order in ${order.symbol}`,
    );
    const deviation = price.minus(last.price).dividedBy(last.price);
    const direction = deviation.isZero() ? 'at' : deviation.isNeg() ? 'below' : 'above';
    const distance = deviation.isZero() ? '' : `${formatPercentBeside(deviation.abs(), bandDec)} `;
    const text = `${what} ${formatPrice(price)} is ${distance}${direction} the last price ${formatPrice(last.price)}`;
    if (deviation.abs().lte(bandDec)) {
      return result(NAME, true, `${text}, within the band ${bandText}`, band, deviation);
    }
    return result(NAME, false, `${text}; the band is ${bandText}`, band, deviation);
  },
};
