/** market_open_and_fresh_price: DST, weekends, holidays, early closes, order types, stale prices. */
import { describe, expect, it } from 'vitest';
import { RiskInputError } from './errors.js';
import { DEFAULT_RISK_LIMITS, type RiskLimits } from './limits.js';
import { marketOpenAndFreshPrice as rule } from './market-open-and-fresh-price.js';
import { makeContext } from './test-context.js';
import type { RiskOrder } from './types.js';

const limits = (overrides: Partial<RiskLimits> = {}): RiskLimits => ({
  ...DEFAULT_RISK_LIMITS,
  ...overrides,
});

/** An order at `now` with a price observed at the same instant. */
const at = (now: string, order: Partial<RiskOrder> = {}) =>
  makeContext({ now, lastPrice: { price: 150, asOf: now }, order });

describe('market_open_and_fresh_price: market hours', () => {
  it('14:00 UTC is 10:00 New York on Monday 2026-03-09 (EDT): open', () => {
    const check = rule.check(at('2026-03-09T14:00:00Z'), limits());
    expect(check).toEqual({
      rule: 'market_open_and_fresh_price',
      passed: true,
      message:
        "AAPL's last price $150.00 (as of 2026-03-09T14:00:00Z) is 0.0 h old, within the max " +
        '96 h; the market is open (Monday 2026-03-09 10:00 New York time, session 09:30–16:00)',
      limit: 96,
      value: 0,
    });
  });

  it('14:00 UTC is 09:00 New York on Friday 2026-03-06 (EST): a market order fails', () => {
    const check = rule.check(at('2026-03-06T14:00:00Z'), limits());
    expect(check).toEqual({
      rule: 'market_open_and_fresh_price',
      passed: false,
      message:
        'the market is closed (Friday 2026-03-06 09:00 New York time: before the 09:30 open); ' +
        'market orders are refused outside the NYSE regular session (09:30–16:00 New York time ' +
        "that day) — use a limit order, or set marketHours to 'any'",
      limit: '09:30–16:00 America/New_York',
      value: 'Friday 2026-03-06 09:00 New York time',
    });
  });

  it('opens at 09:30 sharp and closes at 16:00 sharp', () => {
    expect(rule.check(at('2026-03-09T13:29:59Z'), limits()).passed).toBe(false);
    expect(rule.check(at('2026-03-09T13:30:00Z'), limits()).passed).toBe(true);
    expect(rule.check(at('2026-03-09T19:59:59Z'), limits()).passed).toBe(true);
    const close = rule.check(at('2026-03-09T20:00:00Z'), limits());
    expect(close.passed).toBe(false);
    expect(close.message).toContain('after the 16:00 close');
  });

  it('fails a market order on a weekend and passes a limit order, which may wait', () => {
    const saturday = '2026-03-07T15:00:00Z';
    const market = rule.check(at(saturday), limits());
    expect(market.passed).toBe(false);
    expect(market.message).toContain(
      'the market is closed (Saturday 2026-03-07 10:00 New York time: weekend)',
    );
    expect(market.message).toContain('(09:30–16:00 New York time, Monday–Friday)');
    const limit = rule.check(at(saturday, { type: 'limit', limitPrice: 150 }), limits());
    expect(limit.passed).toBe(true);
    expect(limit.message).toContain('a limit order may wait for the next regular session');
    const stop = rule.check(at(saturday, { type: 'stop', stopPrice: 140 }), limits());
    expect(stop.passed).toBe(true);
  });

  it('passes a market-on-open (opg) order outside the session', () => {
    const check = rule.check(at('2026-03-07T15:00:00Z', { timeInForce: 'opg' }), limits());
    expect(check.passed).toBe(true);
    expect(check.message).toContain('a market-on-open (opg) order waits for the opening auction');
  });

  it('is closed on NYSE holidays and after 13:00 on early closes', () => {
    const goodFriday = rule.check(at('2026-04-03T15:00:00Z'), limits());
    expect(goodFriday.passed).toBe(false);
    expect(goodFriday.message).toContain('holiday (Good Friday)');
    // The day after Thanksgiving 2026 closes at 13:00 New York (EST: 18:00 UTC).
    expect(rule.check(at('2026-11-27T17:59:00Z'), limits()).passed).toBe(true);
    const late = rule.check(at('2026-11-27T18:00:00Z'), limits());
    expect(late.passed).toBe(false);
    expect(late.message).toContain('after the 13:00 early close');
    expect(late.limit).toBe('09:30–13:00 America/New_York');
  });

  it("skips the hours check under marketHours 'any'", () => {
    const check = rule.check(at('2026-03-07T15:00:00Z'), limits({ marketHours: 'any' }));
    expect(check.passed).toBe(true);
    expect(check.message).toContain("market hours are not checked (marketHours is 'any')");
  });
});

describe('market_open_and_fresh_price: price age', () => {
  const now = '2026-03-09T15:00:00Z';

  it('passes a price exactly the max age old and fails one a second older', () => {
    const exact = makeContext({ now, lastPrice: { price: 150, asOf: '2026-03-05T15:00:00Z' } });
    expect(rule.check(exact, limits())).toMatchObject({ passed: true, limit: 96, value: 96 });
    const older = makeContext({ now, lastPrice: { price: 150, asOf: '2026-03-05T14:59:59Z' } });
    const check = rule.check(older, limits());
    expect(check.passed).toBe(false);
    expect(check.message).toBe(
      "AAPL's last price $150.00 (as of 2026-03-05T14:59:59Z) is 96.0003 h old; the max price " +
        'age is 96 h — get a fresh price before trading',
    );
  });

  it("counts a daily bar's date from its 16:00 New York close, across the DST change", () => {
    // Thursday 2026-03-05 16:00 EST = 21:00 UTC; Monday 15:00 UTC is 90 h later.
    const thursday = makeContext({ now, lastPrice: { price: 150, asOf: '2026-03-05' } });
    expect(rule.check(thursday, limits())).toMatchObject({ passed: true, value: 90 });
    // Friday 2026-03-06 16:00 EST = 21:00 UTC; Tuesday 16:00 EDT = 20:00 UTC is 95 h later.
    const friday = makeContext({
      now: '2026-03-10T19:59:00Z',
      lastPrice: { price: 150, asOf: '2026-03-06' },
    });
    expect(rule.check(friday, limits()).passed).toBe(true);
    const wednesday = makeContext({ now, lastPrice: { price: 150, asOf: '2026-03-04' } });
    const check = rule.check(wednesday, limits());
    expect(check).toMatchObject({ passed: false, value: 114 });
    expect(check.message).toContain('(as of 2026-03-04) is 114.0 h old; the max price age is 96 h');
  });

  it("keeps Friday's daily bar usable through Tuesday after a Monday holiday (MLK Day 2026)", () => {
    const context = makeContext({
      now: '2026-01-20T20:59:00Z', // Tuesday 15:59 EST
      lastPrice: { price: 150, asOf: '2026-01-16' },
    });
    expect(rule.check(context, limits()).passed).toBe(true);
  });

  it('fails a stale price before looking at the hours', () => {
    const context = makeContext({
      now: '2026-03-07T15:00:00Z',
      lastPrice: { price: 150, asOf: '2026-03-01' },
    });
    const check = rule.check(context, limits());
    expect(check.passed).toBe(false);
    expect(check.limit).toBe(96);
  });

  it('counts a price stamped after now as 0 h old', () => {
    const context = makeContext({ lastPrice: { price: 150, asOf: '2026-03-09T16:00:00Z' } });
    expect(rule.check(context, limits())).toMatchObject({ passed: true, value: 0 });
  });

  it('honours a short intraday max age', () => {
    const check = rule.check(makeContext(), limits({ maxPriceAgeHours: 0.05 }));
    expect(check.passed).toBe(false);
    expect(check.message).toContain('is 0.08 h old; the max price age is 0.05 h');
  });

  it('throws RiskInputError when the last price is missing', () => {
    expect(() => rule.check(makeContext({ lastPrice: null }), limits())).toThrow(
      new RiskInputError(
        'lastPrice',
        'lastPrice is required to check how fresh the AAPL price is, got null',
      ),
    );
  });

  it('throws RiskInputError for a date that does not exist', () => {
    const context = makeContext({ lastPrice: { price: 150, asOf: '2026-02-30' } });
    expect(() => rule.check(context, limits())).toThrow(
      'lastPrice.asOf must be an ISO date (2026-03-06) or date-time with a zone (2026-03-09T14:00:00Z), got "2026-02-30"',
    );
  });

  it('throws RiskInputError for an asOf that is not an ISO date or date-time', () => {
    const context = makeContext({ lastPrice: { price: 150, asOf: '03/09/2026' } });
    expect(() => rule.check(context, limits())).toThrow(
      'lastPrice.asOf must be an ISO date (2026-03-06) or date-time with a zone (2026-03-09T14:00:00Z), got "03/09/2026"',
    );
  });

  it('checks hours only, with no last price needed, when maxPriceAgeHours is null', () => {
    const check = rule.check(makeContext({ lastPrice: null }), limits({ maxPriceAgeHours: null }));
    expect(check).toMatchObject({ passed: true, limit: null, value: null });
    expect(check.message).toContain('price age check is off (maxPriceAgeHours is null)');
  });

  it("reports off, passed, when maxPriceAgeHours is null and marketHours is 'any'", () => {
    const context = makeContext({ now: '2026-03-07T15:00:00Z', lastPrice: null });
    const check = rule.check(context, limits({ maxPriceAgeHours: null, marketHours: 'any' }));
    expect(check).toEqual({
      rule: 'market_open_and_fresh_price',
      passed: true,
      message:
        "price age and market hours checks are off (maxPriceAgeHours is null, marketHours is 'any')",
      limit: null,
      value: null,
    });
  });
});
