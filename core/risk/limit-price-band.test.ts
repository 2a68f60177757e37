/** limit_price_band: both edges of the band, stop orders, market orders, a missing price, off. */
import { describe, expect, it } from 'vitest';
import { RiskInputError } from './errors.js';
import { limitPriceBand } from './limit-price-band.js';
import { DEFAULT_RISK_LIMITS, type RiskLimits } from './limits.js';
import { makeContext } from './test-context.js';

const limits = (overrides: Partial<RiskLimits> = {}): RiskLimits => ({
  ...DEFAULT_RISK_LIMITS,
  ...overrides,
});

const limitOrder = (limitPrice: number) => makeContext({ order: { type: 'limit', limitPrice } });

describe('limit_price_band', () => {
  it('passes a limit price exactly on either edge of the ±5 % band', () => {
    expect(limitPriceBand.check(limitOrder(157.5), limits())).toEqual({
      rule: 'limit_price_band',
      passed: true,
      message: 'limit price $157.50 is 5.0 % above the last price $150.00, within the band ±5 %',
      limit: 0.05,
      value: 0.05,
    });
    expect(limitPriceBand.check(limitOrder(142.5), limits())).toMatchObject({
      passed: true,
      value: -0.05,
    });
  });

  it('fails a cent outside either edge, with enough decimals to show it', () => {
    const above = limitPriceBand.check(limitOrder(157.51), limits());
    expect(above.passed).toBe(false);
    expect(above.message).toBe(
      'limit price $157.51 is 5.01 % above the last price $150.00; the band is ±5 %',
    );
    const below = limitPriceBand.check(limitOrder(142.49), limits());
    expect(below.passed).toBe(false);
    expect(below.message).toBe(
      'limit price $142.49 is 5.01 % below the last price $150.00; the band is ±5 %',
    );
  });

  it('checks a stop price the same way', () => {
    const context = makeContext({ order: { side: 'sell', type: 'stop', stopPrice: 120 } });
    const check = limitPriceBand.check(context, limits());
    expect(check).toMatchObject({ passed: false, value: -0.2 });
    expect(check.message).toBe(
      'stop price $120.00 is 20.0 % below the last price $150.00; the band is ±5 %',
    );
  });

  it('says so when the price equals the last price', () => {
    expect(limitPriceBand.check(limitOrder(150), limits()).message).toBe(
      'limit price $150.00 is at the last price $150.00, within the band ±5 %',
    );
  });

  it('passes a market order: no price to check, no last price needed', () => {
    const check = limitPriceBand.check(makeContext({ lastPrice: null }), limits());
    expect(check).toEqual({
      rule: 'limit_price_band',
      passed: true,
      message: 'a market order has no limit or stop price to hold to the band ±5 %',
      limit: 0.05,
      value: null,
    });
  });

  it('throws RiskInputError when a limit order has no last price to compare with', () => {
    const context = makeContext({ order: { type: 'limit', limitPrice: 150 }, lastPrice: null });
    expect(() => limitPriceBand.check(context, limits())).toThrow(RiskInputError);
    expect(() => limitPriceBand.check(context, limits())).toThrow(
      'lastPrice is required to check the limit price of a limit order in AAPL, got null',
    );
  });

  it('reports off, passed, when limitPriceBand is null', () => {
    const check = limitPriceBand.check(limitOrder(300), limits({ limitPriceBand: null }));
    expect(check).toMatchObject({ passed: true, limit: null, value: null });
    expect(check.message).toBe('limit price band is off (limitPriceBand is null)');
  });
});
