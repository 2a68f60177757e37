/** max_daily_loss: after a bad day, only orders that reduce risk. */
import { Dec } from '../decimal.js';
import { orderFigures, readAccount, readOrder } from './context.js';
import { formatLimitPercent, formatPercentBeside, formatUsd } from './format.js';
import { type RiskRule, result } from './rule.js';

const NAME = 'max_daily_loss';

/**
 * Today's loss = (start-of-day equity − equity) ÷ start-of-day equity, a fraction (negative on a
 * winning day). While the loss is within maxDailyLoss every order passes; a loss exactly at the
 * limit passes. Beyond it, new buys and opening orders (anything that is not a reduction of an
 * existing position: new longs, new shorts, adding to either, flipping sides) fail, and closing
 * orders (a sell that shrinks a long, a buy that shrinks a short) pass — reducing risk is never
 * blocked.
 */
export const maxDailyLoss: RiskRule = {
  name: NAME,
  description:
    "Once today's loss (start-of-day equity − equity, as a fraction of start-of-day equity) is " +
    'beyond maxDailyLoss (default 5 %), only orders that reduce a position pass.',
  check(context, limits) {
    const limit = limits.maxDailyLoss;
    if (limit === null) {
      return result(NAME, true, 'max daily loss is off (maxDailyLoss is null)', null, null);
    }
    const order = readOrder(context);
    const account = readAccount(context);
    const pnl = account.equity.minus(account.startOfDayEquity);
    const loss = pnl.negated().dividedBy(account.startOfDayEquity);
    const limitDec = new Dec(limit);
    const limitText = formatLimitPercent(limitDec);
    const pnlFraction = formatPercentBeside(loss.negated(), limitDec.negated());
    const pnlText = `today's P&L is ${pnl.isNeg() ? '' : '+'}${pnlFraction} (${formatUsd(pnl)})`;
    if (loss.lte(limitDec)) {
      return result(NAME, true, `${pnlText}, within the max daily loss ${limitText}`, limit, loss);
    }
    const figures = orderFigures(context);
    if (figures.reduces) {
      return result(
        NAME,
        true,
        `${pnlText}, beyond the max daily loss ${limitText}, but this ${order.side} reduces the ` +
          `${order.symbol} position, and closing orders are allowed`,
        limit,
        loss,
      );
    }
    return result(
      NAME,
      false,
      `${pnlText}, beyond the max daily loss ${limitText}; new buys and opening orders are ` +
        'blocked for the rest of the day (orders that reduce a position are allowed)',
      limit,
      loss,
    );
  },
};
