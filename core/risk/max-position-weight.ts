/** max_position_weight: the order symbol's share of equity after the order. */
import { Dec } from '../decimal.js';
import { orderFigures } from './context.js';
import { formatLimitPercent, formatPercentBeside } from './format.js';
import { type RiskRule, result } from './rule.js';

const NAME = 'max_position_weight';

/**
 * Weight after = |held + signed order quantity| × execution price ÷ (equity − estimated
 * commission). The execution price is the limit price of a limit order, the stop price of a stop
 * order, and the last price of a market order; short positions count by absolute value. A weight
 * exactly at the limit passes. An order that shrinks a position without flipping it passes even
 * when the position stays above the limit (reducing risk is never blocked).
 */
export const maxPositionWeight: RiskRule = {
  name: NAME,
  description:
    "The symbol's |position| × execution price ÷ equity after the order must be ≤ maxPositionWeight " +
    '(default 25 %); shorts count by absolute value; orders that shrink a position always pass.',
  check(context, limits) {
    const limit = limits.maxPositionWeight;
    if (limit === null) {
      return result(
        NAME,
        true,
        'max position weight is off (maxPositionWeight is null)',
        null,
        null,
      );
    }
    const figures = orderFigures(context);
    const { order, resulting, equityAfter, execution } = figures;
    const weight = resulting.abs().times(execution.price).dividedBy(equityAfter);
    const limitDec = new Dec(limit);
    const side = resulting.isNeg() ? ' (short)' : '';
    const weightText = `${formatPercentBeside(weight, limitDec)}${side}`;
    const limitText = formatLimitPercent(limitDec);
    if (weight.lte(limitDec)) {
      return result(
        NAME,
        true,
        `${order.symbol} would be ${weightText} of equity after this order, within the limit ${limitText}`,
        limit,
        weight,
      );
    }
    if (figures.reduces) {
      return result(
        NAME,
        true,
        `${order.symbol} would be ${weightText} of equity after this order, above the limit ` +
          `${limitText}, but the order reduces the position, which is always allowed`,
        limit,
        weight,
      );
    }
    return result(
      NAME,
      false,
      `${order.symbol} would be ${weightText} of equity after this order; the limit is ${limitText}`,
      limit,
      weight,
    );
  },
};
