/** sector_concentration: the order symbol's sector's share of equity after the order. */
import { Dec } from '../decimal.js';
import { orderFigures, readSectors } from './context.js';
import { formatLimitPercent, formatPercentBeside } from './format.js';
import { type RiskRule, result } from './rule.js';

const NAME = 'sector_concentration';

/**
 * Sector weight after = (Σ |quantity × price| of the other held symbols in the same sector +
 * |resulting quantity| × execution price) ÷ (equity − estimated commission): gross exposure, so
 * shorts add to it rather than offset it. Sectors come from `context.sectors` (the instruments
 * table) and are compared ignoring case. A weight exactly at maxSectorWeight passes; an order that
 * shrinks its position passes even above the cap. When the order's symbol has no known sector the
 * check cannot be made: it fails under `unknownSector: 'fail'` (the default: fail closed) and
 * passes, saying so, under 'pass'. Held symbols with no known sector are left out of every sector
 * and the message counts them.
 */
export const sectorConcentration: RiskRule = {
  name: NAME,
  description:
    "The gross value of the order symbol's sector ÷ equity after the order must be ≤ " +
    "maxSectorWeight (default 40 %); a symbol with no sector fails unless unknownSector is 'pass'; " +
    'orders that shrink a position always pass.',
  check(context, limits) {
    const limit = limits.maxSectorWeight;
    if (limit === null) {
      return result(
        NAME,
        true,
        'sector concentration is off (maxSectorWeight is null)',
        null,
        null,
      );
    }
    const figures = orderFigures(context);
    const { order, account, execution, resulting, equityAfter } = figures;
    const limitDec = new Dec(limit);
    const limitText = formatLimitPercent(limitDec);
    const sectors = readSectors(context);
    const sector = sectors.get(order.symbol);
    if (sector === undefined) {
      const unknown = `${order.symbol} has no sector in the instruments table, so its sector weight cannot be checked against the cap ${limitText}`;
      if (figures.reduces) {
        return result(
          NAME,
          true,
          `${unknown}; the order reduces the position, which is always allowed`,
          limit,
          null,
        );
      }
      if (limits.unknownSector === 'pass') {
        return result(
          NAME,
          true,
          `${unknown}; passed because unknownSector is 'pass'`,
          limit,
          null,
        );
      }
      return result(
        NAME,
        false,
        `${unknown}; refused because unknownSector is 'fail' (set the sector, or unknownSector to 'pass')`,
        limit,
        null,
      );
    }
    const key = sector.toLowerCase();
    let exposure = resulting.abs().times(execution.price);
    const members = [order.symbol];
    let unclassified = 0;
    for (const [symbol, position] of account.positions) {
      if (symbol === order.symbol || position.quantity.isZero()) continue;
      const other = sectors.get(symbol);
      if (other === undefined) unclassified += 1;
      else if (other.toLowerCase() === key) {
        exposure = exposure.plus(position.quantity.abs().times(position.price));
        members.push(symbol);
      }
    }
    const weight = exposure.dividedBy(equityAfter);
    const weightText = `${sector} would be ${formatPercentBeside(weight, limitDec)} of equity after this order (${members.join(', ')})`;
    const note =
      unclassified === 0
        ? ''
        : ` [${unclassified} held symbol${unclassified === 1 ? ' has' : 's have'} no sector and ${unclassified === 1 ? 'is' : 'are'} not counted]`;
    if (weight.lte(limitDec)) {
      return result(
        NAME,
        true,
        `${weightText}, within the sector cap ${limitText}${note}`,
        limit,
        weight,
      );
    }
    if (figures.reduces) {
      return result(
        NAME,
        true,
        `${weightText}, above the sector cap ${limitText}, but the order reduces the position, which is always allowed${note}`,
        limit,
        weight,
      );
    }
    return result(
      NAME,
      false,
      `${weightText}; the sector cap is ${limitText}${note}`,
      limit,
      weight,
    );
  },
};
