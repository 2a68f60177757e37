/** min_cash: the cash a buy must leave in the account. */
import { Dec } from '../decimal.js';
import { orderFigures } from './context.js';
import { formatLimitPercent, formatUsd, formatUsdBeside } from './format.js';
import { type RiskRule, result } from './rule.js';

const NAME = 'min_cash';

/**
 * For a buy: cash after = cash − notional − estimated commission, and it must be ≥ the minimum,
 * which is the larger of minCash (USD; default $0, i.e. no margin borrowing; negative allows that
 * much borrowing) and minCashFraction × equity (default off). Cash exactly at the minimum passes.
 * A sell (including a short sale) adds cash, so it always passes. Both limits null: off.
 */
export const minCash: RiskRule = {
  name: NAME,
  description:
    'After a buy, cash − notional − estimated commission must stay ≥ max(minCash, minCashFraction × ' +
    'equity) (default $0: no borrowing); sells always pass.',
  check(context, limits) {
    if (limits.minCash === null && limits.minCashFraction === null) {
      return result(
        NAME,
        true,
        'min cash is off (minCash and minCashFraction are null)',
        null,
        null,
      );
    }
    const figures = orderFigures(context);
    const { account, order, commission, notional } = figures;
    const byAmount = limits.minCash === null ? undefined : new Dec(limits.minCash);
    const byFraction =
      limits.minCashFraction === null ? undefined : account.equity.times(limits.minCashFraction);
    let minimum: Dec;
    let minimumText: string;
    if (byFraction !== undefined && (byAmount === undefined || byFraction.gt(byAmount))) {
      minimum = byFraction;
      minimumText = `${formatUsd(byFraction)} (${formatLimitPercent(limits.minCashFraction ?? 0)} of equity)`;
    } else {
      minimum = byAmount as Dec;
      minimumText = formatUsd(minimum);
    }
    if (order.side === 'sell') {
      const after = account.cash.plus(notional).minus(commission);
      return result(
        NAME,
        true,
        `a sell adds cash (to about ${formatUsd(after)}); the minimum cash ${minimumText} applies to buys`,
        minimum,
        after,
      );
    }
    const after = account.cash.minus(notional).minus(commission);
    const afterText = `${formatUsdBeside(after, minimum)} (cash ${formatUsd(account.cash)} − order ${formatUsd(notional)} − est. commission ${formatUsd(commission)})`;
    if (after.gte(minimum)) {
      return result(
        NAME,
        true,
        `cash after this buy ${afterText} stays at or above the minimum ${minimumText}`,
        minimum,
        after,
      );
    }
    return result(
      NAME,
      false,
      `cash after this buy would be ${afterText}; the minimum cash is ${minimumText}`,
      minimum,
      after,
    );
  },
};
