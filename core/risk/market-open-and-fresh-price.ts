/** market_open_and_fresh_price: a usable last price, and the market open for a market order. */
import { Dec } from '../decimal.js';
import { readLastPrice, readNow, readOrder } from './context.js';
import { formatHoursBeside, formatLimitHours, formatPrice } from './format.js';
import { nyseSession } from './market-calendar.js';
import { type RiskRule, result } from './rule.js';

const NAME = 'market_open_and_fresh_price';

/**
 * Two checks in one verdict.
 *
 * Fresh price (maxPriceAgeHours, default 96 h = 4 calendar days, null: off): the last price may
 * be at most that old at `now`; exactly the maximum passes. The platform may hold only daily bars,
 * so a plain-date `asOf` counts as that day's 16:00 New York close, and 96 h lets Friday's close
 * serve until Tuesday's close, across a long weekend. With intraday quotes, set it lower (0.25 =
 * 15 minutes). An `asOf` after `now` counts as 0 h old. A missing last price throws
 * RiskInputError.
 *
 * Market hours (marketHours, default 'regular'; 'any' skips it): US equities, NYSE regular
 * session 09:30–16:00 New York time on weekdays, less NYSE holidays and 13:00 early closes (see
 * market-calendar.ts). Outside it a market order fails — it would fill at an unknown opening
 * price — except a market-on-open order (time in force 'opg'), which is meant to wait for the
 * open. Limit and stop orders pass outside the session: they carry their price protection while
 * they wait for it.
 *
 * `limit`/`value` are the maximum age and the age in hours, unless the hours check is what fails:
 * then they are the session (e.g. '09:30–16:00 America/New_York') and the New York time.
 */
export const marketOpenAndFreshPrice: RiskRule = {
  name: NAME,
  description:
    'The last price must be at most maxPriceAgeHours old (default 96 h; a daily bar counts from ' +
    "its 16:00 New York close), and with marketHours 'regular' (default) a market order outside " +
    'the NYSE regular session (weekends, holidays included) fails; limit, stop and opg orders may wait.',
  check(context, limits) {
    const maxAge = limits.maxPriceAgeHours;
    if (maxAge === null && limits.marketHours === 'any') {
      return result(
        NAME,
        true,
        "price age and market hours checks are off (maxPriceAgeHours is null, marketHours is 'any')",
        null,
        null,
      );
    }
    const order = readOrder(context);
    const now = readNow(context);
    const parts: string[] = [];
    let age: Dec | null = null;
    if (maxAge !== null) {
      const last = readLastPrice(context, `to check how fresh the ${order.symbol} price is`);
      age = Dec.max(0, new Dec(now - last.asOfMs).dividedBy(3_600_000));
      const ageText = `${order.symbol}'s last price ${formatPrice(last.price)} (as of ${last.asOf}) is ${formatHoursBeside(age, maxAge)} old`;
      if (age.gt(maxAge)) {
        return result(
          NAME,
          false,
          `${ageText}; the max price age is ${formatLimitHours(maxAge)} — get a fresh price before trading`,
          maxAge,
          age,
        );
      }
      parts.push(`${ageText}, within the max ${formatLimitHours(maxAge)}`);
    } else {
      parts.push('price age check is off (maxPriceAgeHours is null)');
    }
    if (limits.marketHours === 'any') {
      parts.push("market hours are not checked (marketHours is 'any')");
      return result(NAME, true, parts.join('; '), maxAge, age);
    }
    const session = nyseSession(now);
    const when = session.local.text;
    if (session.open) {
      parts.push(`the market is open (${when}, session ${session.hours})`);
      return result(NAME, true, parts.join('; '), maxAge, age);
    }
    const closed = `the market is closed (${when}: ${session.reason})`;
    if (order.type !== 'market') {
      parts.push(`${closed}; a ${order.type} order may wait for the next regular session`);
      return result(NAME, true, parts.join('; '), maxAge, age);
    }
    if (order.timeInForce === 'opg') {
      parts.push(`${closed}; a market-on-open (opg) order waits for the opening auction`);
      return result(NAME, true, parts.join('; '), maxAge, age);
    }
    const sessionText = `${session.hours ?? '09:30–16:00'} America/New_York`;
    const hoursText =
      session.hours === null
        ? '09:30–16:00 New York time, Monday–Friday'
        : `${session.hours} New York time that day`;
    return result(
      NAME,
      false,
      `${closed}; market orders are refused outside the NYSE regular session (${hoursText}) — ` +
        "use a limit order, or set marketHours to 'any'",
      sessionText,
      session.local.text,
    );
  },
};
